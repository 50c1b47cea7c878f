"""Servers that run transcriptions: each on its own database, so that no other test's
queued jobs (the shared `server` runs no workers) end up on these workers, and back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from tests.support.database import scratch_database
from tests.support.server import Server, start_server
from tests.voice_api.helpers import FAST_JOBS


@pytest.fixture(scope="session")
def new_database(admin_url: str) -> Iterator[Callable[[], str]]:
    """Creates fresh migrated databases on demand; drops them all at the end of the run."""
    with ExitStack() as created:
        yield lambda: created.enter_context(scratch_database(admin_url, prefix="iafactory_voice"))


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
