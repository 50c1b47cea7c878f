"""A real `iafactory serve` (uvicorn, its own process) on a free port, and `iafactory worker`.

Both get the tests' settings: the tests' JWT secret (so tests can forge tokens the server
accepts), the bundled `tiny.en` model, a small pool, generous sign-in limits, and their own
data directory (never the user's).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "test-secret-" + "x" * 40
READY_WITHIN_SECONDS = 60
# What a test server runs with unless a test says otherwise: no transcription workers (jobs
# queued by most tests stay queued), a small pool, sign-in limits no test reaches by accident.
SERVER_DEFAULTS = {
    "IAFACTORY_TRANSCRIBE_WORKERS": "0",
    "IAFACTORY_POOL_MAX_SIZE": "4",
    "IAFACTORY_LOGIN_RATE_LIMIT": "1000/minute",
    "IAFACTORY_LOGIN_IP_RATE_LIMIT": "1000/minute",
    "IAFACTORY_REGISTER_RATE_LIMIT": "1000/minute",
    # Below IAFACTORY_MAX_BODY_BYTES (1 MiB), so that the document limit is what a test meets.
    "IAFACTORY_MAX_DOCUMENT_BYTES": "262144",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The process environment of a test server or worker: ours, plus the tests' settings."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "IAFACTORY_DATA_DIR": str(data_dir),
        "IAFACTORY_JWT_SECRET": JWT_SECRET,
        "IAFACTORY_WHISPER_MODEL": "tiny.en",
        **settings,
    }


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws_url(self) -> str:
        return self.graphql_url.replace("http://", "ws://")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(database_url: str, data_dir: Path, **settings: str) -> Server:
    """`iafactory serve` in its own process, returned once /health/ready answers 200.

    Keyword arguments are settings (`IAFACTORY_TRANSCRIBE_WORKERS="1"`); its output goes to
    `data_dir/server-<port>.log`, shown when it fails to start.
    """
    port = free_port()
    env = environment(database_url, data_dir, **{**SERVER_DEFAULTS, **settings})
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"server-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "iafactory.cli", "serve", "--port", str(port)],
        env=env,
        cwd=REPO_ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log=log)
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{server.url}/health/ready", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server not ready after {READY_WITHIN_SECONDS} s:\n{log.read_text()}")


def start_worker(database_url: str, data_dir: Path, **settings: str) -> subprocess.Popen[bytes]:
    """`iafactory worker` in its own process; its output goes to `data_dir/worker-<random>.log`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"worker-{secrets.token_hex(3)}.log"
    return subprocess.Popen(
        [sys.executable, "-m", "iafactory.cli", "worker"],
        env=environment(database_url, data_dir, **settings),
        cwd=REPO_ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
