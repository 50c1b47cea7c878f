"""A real `iafactory serve` for the seed's REST calls, on a database of its own, with one
transcription worker and the multilingual `base` model (the seed's clients send French)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.database import scratch_database
from tests.support.server import Server, start_server


@pytest.fixture(scope="session")
def rest_database_url(admin_url: str) -> Iterator[str]:
    with scratch_database(admin_url, prefix="iafactory_rest") as url:
        yield url


@pytest.fixture(scope="session")
def rest_server(rest_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        rest_database_url,
        tmp_path_factory.mktemp("rest-server"),
        IAFACTORY_TRANSCRIBE_WORKERS="1",
        IAFACTORY_WHISPER_MODEL="base",
        IAFACTORY_WHISPER_THREADS="2",
    )
    yield running
    running.stop()
