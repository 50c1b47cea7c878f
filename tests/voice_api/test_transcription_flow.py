"""One English clip through the whole API, as a client sees it: upload, live progress over a
real WebSocket, the result, the knowledge-base document, subtitles, and another tenant
that can see none of it. Real uvicorn, real faster-whisper (tiny.en), one in-process worker.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.helpers import claims_of, sign
from tests.support.database import lift_rate_limit
from tests.support.graphql import Account, GraphQLClient, error_codes, register
from tests.support.server import Server
from tests.voice_api.helpers import (
    AUDIO,
    SPOKEN,
    Received,
    Subscriber,
    error_codes_of,
    events,
    upload,
    uploaded_id,
    word_recall,
)

RESULT = """
query($id: ID!) {
  transcription(id: $id) {
    id status progress text language detectedLanguage duration attempts error filename
    segments { start end text }
    project { id name }
    document { id title content source project { id } }
  }
}"""
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@dataclass
class Run:
    owner: Account
    project_id: str
    job_id: str
    messages: list[Received]
    result: dict[str, Any]
    me_latencies: list[float] = field(default_factory=list)


@pytest.fixture(scope="module")
def voice_client(voice_server: Server) -> GraphQLClient:
    return GraphQLClient(voice_server.graphql_url)


@pytest.fixture(scope="module")
async def english(voice_server: Server, voice_client: GraphQLClient, voice_database_url: str) -> Run:
    """Uploads speech_en.wav into a project with addToKnowledgeBase, follows it to the end,
    and meanwhile asks `me` of another tenant over and over (is the loop still serving?)."""
    owner = register(voice_client, name="speaker")
    bystander = register(voice_client, name="bystander")
    lift_rate_limit(voice_database_url, bystander.tenant_id)  # it asks `me` ~20 times a second
    project = voice_client.data(
        'mutation { createProject(input: {name: "Lectures"}) { id } }', token=owner.access_token
    )["createProject"]["id"]
    response = await asyncio.to_thread(
        upload,
        voice_server.graphql_url,
        owner.access_token,
        AUDIO / "speech_en.wav",
        project_id=project,
        add_to_knowledge_base=True,
    )
    job_id = uploaded_id(response)
    latencies: list[float] = []
    done = asyncio.Event()

    def ask_me() -> None:
        with httpx.Client(timeout=10) as http:
            while not done.is_set():
                started = time.monotonic()
                http.post(
                    voice_server.graphql_url,
                    json={"query": "{ me { user { id } } }"},
                    headers={"Authorization": f"Bearer {bystander.access_token}"},
                ).raise_for_status()
                latencies.append(time.monotonic() - started)
                time.sleep(0.05)

    asker = asyncio.create_task(asyncio.to_thread(ask_me))
    try:
        messages = await Subscriber(voice_server.ws_url, owner.access_token).follow(job_id)
    finally:
        done.set()
        await asker
    result = voice_client.data(RESULT, {"id": job_id}, token=owner.access_token)["transcription"]
    return Run(owner, project, job_id, messages, result, latencies)


def test_an_english_clip_is_transcribed_with_at_least_80_percent_word_recall(english: Run) -> None:
    assert english.result["status"] == "COMPLETED", english.result
    recall = word_recall(SPOKEN["en"], english.result["text"])
    assert recall >= 0.8, f"word recall {recall:.0%} on: {english.result['text']!r}"


def test_the_result_reports_the_detected_language_and_the_duration(english: Run) -> None:
    assert english.result["language"] is None, "no language was asked for"
    assert english.result["detectedLanguage"] == "en"
    assert english.result["duration"] == pytest.approx(23.3, abs=0.3)
    assert english.result["attempts"] == 1
    assert english.result["error"] is None


def test_the_text_is_the_stored_segments_joined(english: Run) -> None:
    segments = english.result["segments"]
    assert len(segments) >= 3, "a segment per sentence or two, not one per 30 s window"
    assert english.result["text"] == " ".join(s["text"] for s in segments)
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts), "segments are stored in the order of the audio"


def test_the_first_event_is_the_current_state_and_arrives_within_two_seconds(english: Run) -> None:
    first = english.messages[0]
    assert first.type == "next"
    assert first.at < 2.0, f"the first event took {first.at:.2f} s"
    payload = first.payload["data"]["transcriptionProgress"]
    assert payload["segment"] is None, "the first event is the state, not a segment"
    assert payload["transcription"]["status"] in ("QUEUED", "RUNNING")


def test_progress_never_decreases_and_the_stream_ends_completed_at_one(english: Run) -> None:
    progress = [event["transcription"]["progress"] for event in events(english.messages)]
    assert progress == sorted(progress), f"progress went back: {progress}"
    last = events(english.messages)[-1]["transcription"]
    assert (last["status"], last["progress"]) == ("COMPLETED", 1.0)
    assert english.messages[-1].type == "complete", "the stream completes after the terminal status"


def test_the_terminal_status_is_sent_once_as_the_last_event(english: Run) -> None:
    statuses = [event["transcription"]["status"] for event in events(english.messages)]
    assert statuses.count("COMPLETED") == 1
    assert statuses[-1] == "COMPLETED"


def test_each_new_segment_arrives_as_its_own_event(english: Run) -> None:
    sent = [event["segment"] for event in events(english.messages) if event["segment"] is not None]
    assert sent == english.result["segments"], "every stored segment was announced once, in order"


def test_add_to_knowledge_base_stores_the_text_as_a_document_of_the_project(english: Run) -> None:
    document = english.result["document"]
    assert document is not None, "addToKnowledgeBase: true creates a document on completion"
    assert document["source"] == "TRANSCRIPTION"
    assert document["content"] == english.result["text"]
    assert document["project"]["id"] == english.project_id
    assert english.result["project"]["id"] == english.project_id


def test_subscription_events_read_fresh_rows_each_time(english: Run) -> None:
    """The document only exists once COMPLETED: a loader cached from an earlier event would miss it."""
    final = events(english.messages)[-1]["transcription"]
    assert final["document"] is not None
    assert final["text"] == english.result["text"]


def test_the_event_loop_keeps_serving_other_tenants_while_a_job_runs(english: Run) -> None:
    assert len(english.me_latencies) >= 10, "`me` was asked many times during the transcription"
    slowest = max(english.me_latencies)
    assert slowest < 1.0, f"a `me` query took {slowest:.2f} s while faster-whisper was running"


def test_a_completed_transcription_renders_as_srt_vtt_and_text(
    english: Run, voice_client: GraphQLClient
) -> None:
    data = voice_client.data(
        "query($id: ID!) { transcription(id: $id) {"
        " srt: subtitles(format: SRT) vtt: subtitles(format: VTT) plain: subtitles(format: TEXT) } }",
        {"id": english.job_id},
        token=english.owner.access_token,
    )["transcription"]
    first = english.result["segments"][0]
    assert data["srt"].startswith("1\n00:00:00,"), data["srt"]
    assert first["text"] in data["srt"]
    assert data["vtt"].startswith("WEBVTT\n\n00:00:00.")
    assert data["plain"].splitlines()[0] == first["text"]


def test_the_project_and_the_list_show_the_transcription(english: Run, voice_client: GraphQLClient) -> None:
    data = voice_client.data(
        "query($p: ID!) { project(id: $p) { transcriptions { totalCount nodes { id } } }"
        " transcriptions(status: COMPLETED) { totalCount nodes { id status } } }",
        {"p": english.project_id},
        token=english.owner.access_token,
    )
    assert data["project"]["transcriptions"] == {"totalCount": 1, "nodes": [{"id": english.job_id}]}
    assert data["transcriptions"]["nodes"] == [{"id": english.job_id, "status": "COMPLETED"}]


def test_cancelling_a_completed_transcription_leaves_it_completed(
    english: Run, voice_client: GraphQLClient
) -> None:
    data = voice_client.data(
        "mutation($id: ID!) { cancelTranscription(id: $id) { status progress } }",
        {"id": english.job_id},
        token=english.owner.access_token,
    )
    assert data["cancelTranscription"] == {"status": "COMPLETED", "progress": 1.0}


def test_uploads_and_cancels_are_in_the_audit_log(english: Run, voice_client: GraphQLClient) -> None:
    entries = voice_client.data(
        "{ auditLog(first: 50) { nodes { action targetType targetId } } }", token=english.owner.access_token
    )["auditLog"]["nodes"]
    assert {
        "action": "transcribe_audio",
        "targetType": "Transcription",
        "targetId": english.job_id,
    } in entries


def test_another_tenant_gets_not_found_by_query_exactly_as_for_an_unknown_id(
    english: Run, voice_client: GraphQLClient
) -> None:
    eve = register(voice_client, name="eve")
    theirs = voice_client.execute(RESULT, {"id": english.job_id}, token=eve.access_token)
    unknown = voice_client.execute(RESULT, {"id": UNKNOWN_ID}, token=eve.access_token)
    assert error_codes(theirs) == ["NOT_FOUND"]
    assert theirs["errors"][0]["message"] == unknown["errors"][0]["message"], "no hint that the id exists"
    assert theirs["data"] == unknown["data"] == {"transcription": None}
    cancel = voice_client.execute(
        "mutation($id: ID!) { cancelTranscription(id: $id) { status } }",
        {"id": english.job_id},
        token=eve.access_token,
    )
    assert error_codes(cancel) == ["NOT_FOUND"]
    listed = voice_client.data("{ transcriptions { totalCount } }", token=eve.access_token)
    assert listed["transcriptions"]["totalCount"] == 0


async def test_another_tenant_gets_not_found_by_subscription_exactly_as_for_an_unknown_id(
    english: Run, voice_server: Server, voice_client: GraphQLClient
) -> None:
    eve = register(voice_client, name="eve")
    theirs = await Subscriber(voice_server.ws_url, eve.access_token).follow(english.job_id, within=10)
    unknown = await Subscriber(voice_server.ws_url, eve.access_token).follow(UNKNOWN_ID, within=10)
    assert error_codes_of(theirs) == ["NOT_FOUND"]
    assert events(theirs) == [], "not a single event about another tenant's job"
    strip = [(m.type, m.payload and [e["message"] for e in m.payload.get("errors", [])]) for m in theirs]
    assert strip == [
        (m.type, m.payload and [e["message"] for e in m.payload.get("errors", [])]) for m in unknown
    ]


async def test_a_subscription_to_a_finished_job_sends_its_state_and_completes(
    english: Run, voice_server: Server
) -> None:
    messages = await Subscriber(voice_server.ws_url, english.owner.access_token).follow(
        english.job_id, within=10
    )
    assert [m.type for m in messages] == ["next", "complete"]
    assert events(messages)[0]["transcription"]["status"] == "COMPLETED"


async def test_a_token_that_expired_after_connecting_cannot_subscribe(
    english: Run, voice_server: Server
) -> None:
    """Strawberry checks the token at connection_init only; each subscribe checks it again."""
    short_lived = sign(claims_of(english.owner, exp=int(time.time()) + 2))
    subscriber = Subscriber(voice_server.ws_url, short_lived)
    messages = await subscriber.follow(english.job_id, within=10, delay=3.0)
    assert error_codes_of(messages) == ["UNAUTHENTICATED"]
    assert events(messages) == []
