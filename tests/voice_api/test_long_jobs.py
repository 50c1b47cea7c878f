"""A one-minute clip through the API: the subscriber hears from the job at least every 5 s of
wall time (segments, progress, or the worker's heartbeat), progress only grows, and the
duration and the bill are what was decoded."""

from __future__ import annotations

import asyncio
from itertools import pairwise

import pytest

from tests.support.graphql import GraphQLClient, register
from tests.support.server import Server
from tests.voice_api.helpers import (
    AUDIO,
    SPOKEN,
    Received,
    Subscriber,
    events,
    upload,
    uploaded_id,
    word_recall,
)

RESULT = "query($id: ID!) { transcription(id: $id) { status duration text segments { start end } } }"
LONG_CLIP_SECONDS = 62.85
MAX_SILENCE_S = 5.0


@pytest.fixture(scope="module")
async def long_job(voice_server: Server) -> tuple[list[Received], dict[str, object]]:
    client = GraphQLClient(voice_server.graphql_url)
    owner = register(client, name="long")
    job_id = uploaded_id(
        await asyncio.to_thread(
            upload, voice_server.graphql_url, owner.access_token, AUDIO / "speech_en_long.ogg"
        )
    )
    messages = await Subscriber(voice_server.ws_url, owner.access_token).follow(job_id, within=300)
    result = client.data(RESULT, {"id": job_id}, token=owner.access_token)["transcription"]
    return messages, result


def test_the_long_clip_is_transcribed_with_its_decoded_duration(
    long_job: tuple[list[Received], dict[str, object]],
) -> None:
    _, result = long_job
    assert result["status"] == "COMPLETED", result
    assert result["duration"] == pytest.approx(LONG_CLIP_SECONDS, abs=0.1)
    assert word_recall(SPOKEN["en_long"], str(result["text"])) >= 0.8


def test_a_running_job_is_heard_from_at_least_every_five_seconds(
    long_job: tuple[list[Received], dict[str, object]],
) -> None:
    messages, _ = long_job
    running = [
        m.at
        for m in messages
        if m.type == "next"
        and m.payload["data"]["transcriptionProgress"]["transcription"]["status"] != "QUEUED"
    ]
    gaps = [later - earlier for earlier, later in pairwise(running)]
    assert max(gaps) <= MAX_SILENCE_S, f"seconds between events while running: {[round(g, 1) for g in gaps]}"


def test_progress_moves_with_each_window_and_never_decreases(
    long_job: tuple[list[Received], dict[str, object]],
) -> None:
    messages, _ = long_job
    progress = [event["transcription"]["progress"] for event in events(messages)]
    assert progress == sorted(progress), f"progress went back: {progress}"
    while_running = {
        event["transcription"]["progress"]
        for event in events(messages)
        if event["transcription"]["status"] == "RUNNING"
    }
    assert len(while_running - {0.0}) >= 3, f"each of the three 30 s windows moved the bar: {while_running}"
