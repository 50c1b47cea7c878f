"""cancelTranscription: a running job stops at its next segment and frees its worker."""

from __future__ import annotations

import asyncio

from tests.support.database import superuser_value
from tests.support.graphql import GraphQLClient, register
from tests.support.server import Server
from tests.voice_api.helpers import (
    AUDIO,
    Received,
    Subscriber,
    events,
    upload,
    uploaded_id,
)

CANCEL = "mutation($id: ID!) { cancelTranscription(id: $id) { status segmentCount } }"


async def test_cancelling_a_running_job_stops_it_at_the_next_segment(
    voice_server: Server, voice_database_url: str
) -> None:
    client = GraphQLClient(voice_server.graphql_url)
    owner = register(client, name="canceller")
    job_id = uploaded_id(
        await asyncio.to_thread(
            upload, voice_server.graphql_url, owner.access_token, AUDIO / "speech_en_long.ogg"
        )
    )
    cancelled: list[dict[str, object]] = []

    async def cancel_on_first_segment(message: Received) -> None:
        event = message.payload["data"]["transcriptionProgress"]
        if event["segment"] is not None and not cancelled:
            answer = await asyncio.to_thread(client.data, CANCEL, {"id": job_id}, token=owner.access_token)
            cancelled.append(answer["cancelTranscription"])

    messages = await Subscriber(voice_server.ws_url, owner.access_token).follow(
        job_id, on_next=cancel_on_first_segment, within=60
    )
    assert cancelled, "a segment event arrived, and the job was cancelled then"
    assert cancelled[0]["status"] == "CANCELLED", "the mutation answers CANCELLED at once"
    final = events(messages)[-1]["transcription"]
    assert final["status"] == "CANCELLED"
    assert final["progress"] < 1.0
    assert messages[-1].type == "complete"
    segments_at_cancel = cancelled[0]["segmentCount"]
    await asyncio.sleep(1.0)
    stored = superuser_value(
        voice_database_url, "SELECT segment_count FROM transcriptions WHERE id = $1", job_id
    )
    assert stored == segments_at_cancel, "no segment is stored after the cancel"
    lease = superuser_value(voice_database_url, "SELECT worker_id FROM transcriptions WHERE id = $1", job_id)
    assert lease is None, "a cancelled job holds no lease"


async def test_a_worker_that_stopped_a_cancelled_job_takes_the_next_one(voice_server: Server) -> None:
    client = GraphQLClient(voice_server.graphql_url)
    owner = register(client, name="queue")
    first = uploaded_id(
        await asyncio.to_thread(upload, voice_server.graphql_url, owner.access_token, AUDIO / "speech_en.wav")
    )
    second = uploaded_id(
        await asyncio.to_thread(upload, voice_server.graphql_url, owner.access_token, AUDIO / "speech_en.mp3")
    )

    async def cancel_when_running(message: Received) -> None:
        if message.payload["data"]["transcriptionProgress"]["transcription"]["status"] == "RUNNING":
            await asyncio.to_thread(client.data, CANCEL, {"id": first}, token=owner.access_token)

    await Subscriber(voice_server.ws_url, owner.access_token).follow(
        first, on_next=cancel_when_running, within=60
    )
    messages = await Subscriber(voice_server.ws_url, owner.access_token).follow(second, within=60)
    assert events(messages)[-1]["transcription"]["status"] == "COMPLETED"
