"""Helpers for the voice API tests: uploads, a graphql-transport-ws subscriber, word recall,
and counting job rows as the superuser (to prove what was NOT written)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.support.database import sql, superuser_value
from tests.support.upload import post_file

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
SPOKEN: dict[str, str] = json.loads((AUDIO / "transcripts.json").read_text())

UPLOAD = """
mutation Upload($file: Upload!, $language: String, $projectId: ID, $kb: Boolean) {
  transcribeAudio(file: $file, language: $language, projectId: $projectId, addToKnowledgeBase: $kb) {
    id status progress filename duration language
  }
}"""

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

PROGRESS = """
subscription Progress($id: ID!) {
  transcriptionProgress(id: $id) {
    transcription { id status progress segmentCount text error attempts document { id source } }
    segment { start end text }
  }
}"""


def upload(
    graphql_url: str,
    token: str | None,
    content: bytes | Path,
    *,
    filename: str | None = None,
    language: str | None = None,
    project_id: str | None = None,
    add_to_knowledge_base: bool = False,
    preflight: bool = True,
) -> httpx.Response:
    """transcribeAudio through a GraphQL multipart request; `preflight=False` omits the CSRF header."""
    if isinstance(content, Path):
        filename = filename or content.name
        content = content.read_bytes()
    return post_file(
        graphql_url,
        UPLOAD,
        content,
        filename=filename or "upload.bin",
        variables={"language": language, "projectId": project_id, "kb": add_to_knowledge_base},
        token=token,
        preflight=preflight,
    )


def uploaded_id(response: httpx.Response) -> str:
    body = response.json()
    assert not body.get("errors"), body
    return str(body["data"]["transcribeAudio"]["id"])


@dataclass
class Received:
    """One message of a subscription, with the seconds since subscribe when it arrived."""

    at: float
    type: str
    payload: Any = None


@dataclass
class Subscriber:
    """A raw graphql-transport-ws client (websockets), so tests control every message."""

    ws_url: str
    token: str
    messages: list[Received] = field(default_factory=list)

    async def follow(
        self,
        job_id: str,
        *,
        query: str = PROGRESS,
        within: float = 120,
        on_next: Any = None,
        delay: float = 0.0,
        until: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[Received]:
        """Subscribe and collect messages until `complete` or `error`, or an event `until` accepts."""
        async with websockets.connect(self.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}})
            )
            ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert ack["type"] == "connection_ack", ack
            await asyncio.sleep(delay)  # e.g. let a short-lived token expire after connecting
            started = time.monotonic()
            await ws.send(
                json.dumps(
                    {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"id": job_id}}}
                )
            )
            async with asyncio.timeout(within):
                async for raw in ws:
                    message = json.loads(raw)
                    if message["type"] == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                        continue
                    received = Received(time.monotonic() - started, message["type"], message.get("payload"))
                    self.messages.append(received)
                    if on_next is not None and received.type == "next":
                        await on_next(received)
                    if message["type"] in ("complete", "error"):
                        break
                    if until is not None and received.type == "next":
                        data = (received.payload.get("data") or {}).get("transcriptionProgress")
                        if data and until(data):
                            break
        return self.messages


def events(messages: list[Received]) -> list[dict[str, Any]]:
    """The transcriptionProgress payloads of the `next` messages that carry data."""
    return [
        m.payload["data"]["transcriptionProgress"]
        for m in messages
        if m.type == "next" and (m.payload.get("data") or {}).get("transcriptionProgress")
    ]


def error_codes_of(messages: list[Received]) -> list[str]:
    codes = []
    for message in messages:
        if message.type == "next":
            codes += [e["extensions"]["code"] for e in message.payload.get("errors") or []]
        elif message.type == "error":
            codes += [e.get("extensions", {}).get("code", "?") for e in message.payload]
    return codes


def words(text: str) -> list[str]:
    return re.findall(r"[a-zà-ÿ0-9']+", text.lower())


def word_recall(expected: str, heard: str) -> float:
    """Share of the spoken words (with multiplicity) found in the transcript."""
    wanted, got = Counter(words(expected)), Counter(words(heard))
    return sum((wanted & got).values()) / sum(wanted.values())


def job_rows(database_url: str, tenant_id: str) -> tuple[int, int]:
    """(transcriptions, audio files) of a tenant: proves what a refused upload did NOT write."""
    jobs = superuser_value(
        database_url, "SELECT count(*) FROM transcriptions WHERE tenant_id = $1", tenant_id
    )
    audio = superuser_value(database_url, "SELECT count(*) FROM audio_files WHERE tenant_id = $1", tenant_id)
    return int(jobs), int(audio)


def set_month_audio_quota(database_url: str, tenant_id: str, seconds: float) -> None:
    """An operator's override of the tenant's audio seconds per month (before its first upload:
    servers cache plans)."""
    sql(
        database_url,
        "INSERT INTO tenant_quota_overrides (tenant_id, quota, value)"
        " VALUES ($1, 'max_audio_seconds_per_month', $2)"
        " ON CONFLICT (tenant_id, quota) DO UPDATE SET value = EXCLUDED.value",
        tenant_id,
        Decimal(str(seconds)),
    )


async def run_to_the_end(
    server_ws_url: str, token: str, job_id: str, *, within: float = 180
) -> dict[str, Any]:
    """Follow a job over the subscription until its terminal event; that event's transcription."""
    messages = await Subscriber(server_ws_url, token).follow(job_id, within=within)
    return dict(events(messages)[-1]["transcription"])
