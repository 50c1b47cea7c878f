"""HTTP test fixtures: the JavaScript clients of clients/ (npm packages pinned by its
package-lock.json), installed once per lockfile into a cache directory and run with Node.
Tests that need them skip with a reason where Node or npm is missing or the npm registry
cannot be reached."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CLIENTS = Path(__file__).resolve().parent / "clients"
SPEC = "application/graphql-response+json"


@dataclass(frozen=True)
class NodeClients:
    root: Path
    node: str

    def run(self, script: str, *args: str, cwd: Path | None = None) -> Any:
        """Runs one of clients/*.mjs and returns the JSON it prints."""
        done = subprocess.run(
            [self.node, str(self.root / script), *args],
            cwd=cwd or self.root,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, f"{script} failed:\n{done.stderr[-3000:]}"
        return json.loads(done.stdout)

    def run_bin(self, name: str, *args: str, cwd: Path) -> None:
        """Runs an installed package's command (node_modules/.bin) in `cwd`."""
        done = subprocess.run(
            [str(self.root / "node_modules" / ".bin" / name), *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, f"{name} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"


def install(root: Path, npm: str) -> str | None:
    """`npm ci` into `root`, atomically (parallel test runs may race); an error's tail or None."""
    staging = root.with_name(f"{root.name}.{uuid.uuid4().hex[:8]}")
    staging.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(CLIENTS / name, staging / name)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=staging,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        return (done.stderr or done.stdout)[-500:]
    try:
        staging.rename(root)
    except OSError:  # another run installed it first
        shutil.rmtree(staging, ignore_errors=True)
    return None


@pytest.fixture(scope="session")
def node_clients() -> NodeClients:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are needed to run the JavaScript clients (tests/http/clients/)")
    pinned = b"".join((CLIENTS / name).read_bytes() for name in ("package.json", "package-lock.json"))
    cache = Path(
        os.environ.get("IAFACTORY_NODE_CACHE", Path.home() / ".cache" / "iafactory" / "node-clients")
    )
    root = cache / hashlib.sha256(pinned).hexdigest()[:16]
    if not (root / "node_modules").is_dir():
        error = install(root, npm)
        if error is not None:
            pytest.skip(f"npm could not install the pinned clients (no npm registry?): {error}")
    for script in CLIENTS.glob("*.mjs"):
        shutil.copy(script, root / script.name)
    shutil.copytree(CLIENTS / "trusted", root / "trusted", dirs_exist_ok=True)
    return NodeClients(root=root, node=node)
