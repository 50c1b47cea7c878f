"""Several processes on one database: replicas, a separate worker, a worker killed mid-job.

Each test gets its own database, so that only the processes it starts can claim its jobs.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.database import superuser_value
from tests.support.graphql import GraphQLClient, register
from tests.support.server import Server, start_server, start_worker
from tests.voice_api.helpers import (
    AUDIO,
    FAST_JOBS,
    SPOKEN,
    Received,
    Subscriber,
    events,
    upload,
    uploaded_id,
    word_recall,
)

pytestmark = pytest.mark.slow
SEGMENTS = "query($id: ID!) { transcription(id: $id) { status attempts text segments { start end text } } }"


@pytest.fixture
def processes() -> Iterator[list[Server | subprocess.Popen[bytes]]]:
    """Everything a test starts; stopped (or killed) at the end whatever happens."""
    started: list[Server | subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if isinstance(process, Server):
            process.stop()
        elif process.poll() is None:
            process.kill()
            process.wait()


def statuses(messages: list[Received]) -> list[str]:
    """The status of each event, consecutive repeats folded: the job's path through its states."""
    path: list[str] = []
    for event in events(messages):
        status = event["transcription"]["status"]
        if not path or path[-1] != status:
            path.append(status)
    return path


async def test_a_subscriber_on_one_replica_gets_every_event_of_a_job_run_by_a_separate_worker(
    new_database: Callable[[], str], tmp_path: Path, processes: list[Server | subprocess.Popen[bytes]]
) -> None:
    url = await asyncio.to_thread(new_database)
    replica_a = start_server(url, tmp_path / "a")  # in-process workers off (the test default)
    replica_b = start_server(url, tmp_path / "b")
    processes += [replica_a, replica_b]
    owner = register(GraphQLClient(replica_b.graphql_url), name="replicas")
    job_id = uploaded_id(
        await asyncio.to_thread(upload, replica_b.graphql_url, owner.access_token, AUDIO / "speech_en.wav")
    )
    queued = asyncio.Event()

    async def note_first(message: Received) -> None:
        queued.set()

    following = asyncio.create_task(
        Subscriber(replica_a.ws_url, owner.access_token).follow(job_id, on_next=note_first, within=90)
    )
    await asyncio.wait_for(queued.wait(), 10)
    processes.append(start_worker(url, tmp_path / "worker", **FAST_JOBS))  # only now can the job run
    messages = await following

    assert statuses(messages) == ["QUEUED", "RUNNING", "COMPLETED"], "every status change reached replica A"
    result = GraphQLClient(replica_b.graphql_url).data(SEGMENTS, {"id": job_id}, token=owner.access_token)
    sent = [event["segment"] for event in events(messages) if event["segment"] is not None]
    assert sent == result["transcription"]["segments"], "every segment, once, in order"
    progress = [event["transcription"]["progress"] for event in events(messages)]
    assert progress == sorted(progress)
    assert progress[-1] == 1.0


async def test_a_job_whose_process_is_killed_is_requeued_and_completed_by_another(
    new_database: Callable[[], str], tmp_path: Path, processes: list[Server | subprocess.Popen[bytes]]
) -> None:
    url = await asyncio.to_thread(new_database)
    victim = start_server(url, tmp_path / "victim", IAFACTORY_TRANSCRIBE_WORKERS="1", **FAST_JOBS)
    watcher = start_server(url, tmp_path / "watcher")
    processes += [victim, watcher]
    owner = register(GraphQLClient(watcher.graphql_url), name="survivor")
    job_id = uploaded_id(
        await asyncio.to_thread(upload, watcher.graphql_url, owner.access_token, AUDIO / "speech_en_long.ogg")
    )
    killed: list[int] = []

    async def kill_after_first_segment(message: Received) -> None:
        if message.payload["data"]["transcriptionProgress"]["segment"] is not None and not killed:
            victim.process.send_signal(signal.SIGKILL)
            killed.append(victim.process.wait())
            # A worker elsewhere takes the job once the dead one's lease (3 s) lapses.
            processes.append(start_worker(url, tmp_path / "rescuer", **FAST_JOBS))

    messages = await Subscriber(watcher.ws_url, owner.access_token).follow(
        job_id, on_next=kill_after_first_segment, within=120
    )

    assert killed == [-signal.SIGKILL], "the process running the job was killed mid-job"
    attempts = [(e["transcription"]["status"], e["transcription"]["attempts"]) for e in events(messages)]
    assert ("RUNNING", 1) in attempts, "the first attempt was seen running"
    assert ("RUNNING", 2) in attempts, "a second attempt was announced (the lost job was re-queued)"
    assert attempts[-1] == ("COMPLETED", 2)
    result = GraphQLClient(watcher.graphql_url).data(SEGMENTS, {"id": job_id}, token=owner.access_token)
    transcription = result["transcription"]
    assert transcription["attempts"] == 2
    starts = [segment["start"] for segment in transcription["segments"]]
    assert starts == sorted(set(starts)), "the retry resumed after the stored segments: none twice"
    assert word_recall(SPOKEN["en_long"], transcription["text"]) >= 0.8
    progress = [event["transcription"]["progress"] for event in events(messages)]
    assert progress == sorted(progress), "progress never went back, across the crash"


async def test_a_worker_stopped_with_sigterm_hands_its_job_back_without_using_an_attempt(
    new_database: Callable[[], str], tmp_path: Path, processes: list[Server | subprocess.Popen[bytes]]
) -> None:
    """With no grace period left, the running job goes back to the queue at its next segment."""
    url = await asyncio.to_thread(new_database)
    api = start_server(url, tmp_path / "api")
    processes.append(api)
    owner = register(GraphQLClient(api.graphql_url), name="graceful")
    job_id = uploaded_id(
        await asyncio.to_thread(upload, api.graphql_url, owner.access_token, AUDIO / "speech_en_long.ogg")
    )
    worker = start_worker(url, tmp_path / "worker", **FAST_JOBS)  # grace 0
    processes.append(worker)
    exit_codes: list[int] = []

    async def stop_when_running(message: Received) -> None:
        event = message.payload["data"]["transcriptionProgress"]
        if event["segment"] is not None and not exit_codes:
            worker.send_signal(signal.SIGTERM)
            exit_codes.append(await asyncio.to_thread(worker.wait, 30))

    messages = await Subscriber(api.ws_url, owner.access_token).follow(
        job_id,
        on_next=stop_when_running,
        within=60,
        until=lambda event: bool(exit_codes) and event["transcription"]["status"] == "QUEUED",
    )
    assert exit_codes == [0], "the worker exits cleanly on SIGTERM"
    assert statuses(messages)[-1] == "QUEUED", "the job went back to the queue"
    assert superuser_value(url, "SELECT attempts FROM transcriptions WHERE id = $1", job_id) == 0
    assert superuser_value(url, "SELECT worker_id FROM transcriptions WHERE id = $1", job_id) is None


async def test_serve_stopped_with_sigterm_lets_its_running_job_finish_first(
    new_database: Callable[[], str], tmp_path: Path, processes: list[Server | subprocess.Popen[bytes]]
) -> None:
    url = await asyncio.to_thread(new_database)
    settings = {**FAST_JOBS, "IAFACTORY_TRANSCRIBE_SHUTDOWN_GRACE_SECONDS": "60"}
    server = start_server(url, tmp_path / "serve", IAFACTORY_TRANSCRIBE_WORKERS="1", **settings)
    processes.append(server)
    owner = register(GraphQLClient(server.graphql_url), name="drain")
    job_id = uploaded_id(
        await asyncio.to_thread(upload, server.graphql_url, owner.access_token, AUDIO / "speech_en.wav")
    )
    await Subscriber(server.ws_url, owner.access_token).follow(
        job_id,
        within=60,
        until=lambda event: event["segment"] is not None,  # running, one segment in
    )
    server.process.send_signal(signal.SIGTERM)
    await asyncio.to_thread(server.process.wait, 60)
    assert superuser_value(url, "SELECT status FROM transcriptions WHERE id = $1", job_id) == "COMPLETED"
    assert superuser_value(url, "SELECT attempts FROM transcriptions WHERE id = $1", job_id) == 1
