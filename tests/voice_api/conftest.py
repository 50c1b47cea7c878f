"""Servers that run transcriptions: each on its own database, so that no other test's
queued jobs (the shared `server` runs no workers) end up on these workers, and back."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from iafactory.db import migrate
from tests.conftest import JWT_SECRET, REPO_ROOT, Server, run_sql, start_server, with_database

MAX_AUDIO_SECONDS = 300
# Short leases and polls: a test that kills a worker should not wait half a minute.
FAST_JOBS = {
    "IAFACTORY_TRANSCRIBE_LEASE_SECONDS": "3",
    "IAFACTORY_TRANSCRIBE_POLL_SECONDS": "0.5",
    "IAFACTORY_TRANSCRIBE_SHUTDOWN_GRACE_SECONDS": "0",
    "IAFACTORY_WHISPER_THREADS": "2",
    # Low enough that the audio-cap tests stay quick; the longest clip here is 63 s.
    "IAFACTORY_MAX_AUDIO_SECONDS": str(MAX_AUDIO_SECONDS),
    # One 30 s window at a time: tests that act "after the first segment" find the job still
    # running (the 63 s clip has three windows). The default batch is measured by the bench.
    "IAFACTORY_WHISPER_BATCH_SIZE": "1",
}


@pytest.fixture(scope="session")
def new_database(admin_url: str) -> Iterator[Callable[[], str]]:
    """Creates fresh migrated databases on demand; drops them all at the end of the run."""
    created: list[str] = []

    def create() -> str:
        name = f"iafactory_voice_{secrets.token_hex(4)}"
        run_sql(admin_url, f'CREATE DATABASE "{name}"')
        created.append(name)
        url = with_database(admin_url, name)
        migrate.upgrade(url)
        return url

    yield create
    for name in created:
        run_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def voice_database_url(new_database: Callable[[], str]) -> str:
    return new_database()


@pytest.fixture(scope="session")
def quiet_database_url(new_database: Callable[[], str]) -> str:
    """A database no worker polls: SQL-level tests decide themselves who claims what."""
    return new_database()


@pytest.fixture(scope="session")
def voice_server(voice_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`iafactory serve` with one in-process transcription worker (tiny.en)."""
    running = start_server(
        voice_database_url,
        tmp_path_factory.mktemp("voice-server"),
        IAFACTORY_TRANSCRIBE_WORKERS="1",
        **FAST_JOBS,
    )
    yield running
    running.stop()


def start_worker(database_url: str, data_dir: Path, **settings: str) -> subprocess.Popen[bytes]:
    """`iafactory worker` in its own process, with the same defaults as the test servers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "IAFACTORY_DATA_DIR": str(data_dir),
        "IAFACTORY_JWT_SECRET": JWT_SECRET,
        "IAFACTORY_WHISPER_MODEL": "tiny.en",
        **settings,
    }
    log = data_dir / f"worker-{secrets.token_hex(3)}.log"
    return subprocess.Popen(
        [sys.executable, "-m", "iafactory.cli", "worker"],
        env=env,
        cwd=REPO_ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
