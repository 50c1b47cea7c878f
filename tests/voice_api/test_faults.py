"""Faults on the worker's machine: a missing model or a full disk fails the job with a reason
the uploader can act on, after its attempts, and the server goes on serving."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from iafactory.voice.failures import DISK_FULL, MODEL_MISSING
from tests.support.graphql import GraphQLClient, register
from tests.support.server import Server, start_server, start_worker
from tests.voice_api.helpers import AUDIO, FAST_JOBS, run_to_the_end, upload, uploaded_id

pytestmark = pytest.mark.slow
ME = "{ me { tenant { id } } }"


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a real ENOSPC on the first write of any upload. Needs mount rights."""
    mountpoint = tmp_path / "full"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mountpoint)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    yield mountpoint
    subprocess.run(["umount", "-l", str(mountpoint)], check=False)


async def test_a_missing_model_fails_the_job_with_a_clear_error_and_the_server_keeps_serving(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    url = await asyncio.to_thread(new_database)
    server = start_server(
        url,
        tmp_path / "serve",
        IAFACTORY_TRANSCRIBE_WORKERS="1",
        IAFACTORY_WHISPER_MODEL=str(tmp_path / "no-such-model"),
        **FAST_JOBS,
    )
    try:
        client = GraphQLClient(server.graphql_url)
        owner = register(client, name="no-model")
        response = await asyncio.to_thread(
            upload, server.graphql_url, owner.access_token, AUDIO / "speech_en.wav"
        )

        final = await run_to_the_end(server.ws_url, owner.access_token, uploaded_id(response), within=60)

        assert (final["status"], final["error"]) == ("FAILED", MODEL_MISSING)
        assert str(tmp_path) not in final["error"], "no server path reaches the uploader"
        assert final["attempts"] == 3, "another worker might have had the model: each attempt was tried"
        assert client.data(ME, token=owner.access_token)["me"]["tenant"]["id"] == owner.tenant_id
    finally:
        server.stop()


async def test_a_full_disk_fails_the_job_with_a_clear_error_and_the_server_keeps_serving(
    new_database: Callable[[], str], tmp_path: Path, full_disk: Path
) -> None:
    """The worker copies the audio to its temporary directory, which is full."""
    url = await asyncio.to_thread(new_database)
    server: Server = start_server(url, tmp_path / "serve")  # no in-process workers
    worker = start_worker(url, tmp_path / "worker", TMPDIR=str(full_disk), **FAST_JOBS)
    try:
        client = GraphQLClient(server.graphql_url)
        owner = register(client, name="disk-full")
        response = await asyncio.to_thread(
            upload, server.graphql_url, owner.access_token, AUDIO / "speech_en.wav"
        )

        final = await run_to_the_end(server.ws_url, owner.access_token, uploaded_id(response), within=90)

        assert (final["status"], final["error"]) == ("FAILED", DISK_FULL)
        assert worker.poll() is None, "the worker process survives and keeps claiming"
        assert client.data(ME, token=owner.access_token)["me"]["tenant"]["id"] == owner.tenant_id
    finally:
        server.stop()
        worker.terminate()
        worker.wait(30)
