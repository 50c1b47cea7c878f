"""Helpers for the voice API tests: multipart uploads, a graphql-transport-ws subscriber,
word recall, and reading job rows as the superuser (to prove what was NOT written)."""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
import wave
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import websockets

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
SPOKEN: dict[str, str] = json.loads((AUDIO / "transcripts.json").read_text())

UPLOAD = """
mutation Upload($file: Upload!, $language: String, $projectId: ID, $kb: Boolean) {
  transcribeAudio(file: $file, language: $language, projectId: $projectId, addToKnowledgeBase: $kb) {
    id status progress filename duration language
  }
}"""

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
    """POST a GraphQL multipart request (the spec's operations / map / file parts)."""
    if isinstance(content, Path):
        filename = filename or content.name
        content = content.read_bytes()
    operations = {
        "query": UPLOAD,
        "variables": {
            "file": None,
            "language": language,
            "projectId": project_id,
            "kb": add_to_knowledge_base,
        },
    }
    headers = {"Apollo-Require-Preflight": "true"} if preflight else {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(
        graphql_url,
        headers=headers,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (filename or "upload.bin", content, "application/octet-stream")},
        timeout=60,
    )


def clip(seconds: float, source: str = "speech_en.wav") -> bytes:
    """The first `seconds` of a WAV fixture, as a WAV file of its own (a short job)."""
    with wave.open(str(AUDIO / source), "rb") as original:
        params = original.getparams()
        frames = original.readframes(int(seconds * original.getframerate()))
    out = io.BytesIO()
    with wave.open(out, "wb") as short:
        short.setparams(params)
        short.writeframes(frames)
    return out.getvalue()


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


def superuser_value(database_url: str, query: str, *args: Any) -> Any:
    """One value read as the superuser (RLS aside), synchronously: for checks in any test."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute(query, args).fetchone()
    return None if row is None else row[0]


def job_rows(database_url: str, tenant_id: str) -> tuple[int, int]:
    """(transcriptions, audio files) of a tenant: proves what a refused upload did NOT write."""
    jobs = superuser_value(
        database_url, "SELECT count(*) FROM transcriptions WHERE tenant_id = %s", tenant_id
    )
    audio = superuser_value(database_url, "SELECT count(*) FROM audio_files WHERE tenant_id = %s", tenant_id)
    return int(jobs), int(audio)


def set_month_audio_quota(database_url: str, tenant_id: str, seconds: float) -> None:
    """An operator's override of the tenant's audio seconds per month (before its first upload:
    servers cache plans)."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO tenant_quota_overrides (tenant_id, quota, value)"
            " VALUES (%s, 'max_audio_seconds_per_month', %s)"
            " ON CONFLICT (tenant_id, quota) DO UPDATE SET value = EXCLUDED.value",
            (tenant_id, seconds),
        )


async def run_to_the_end(
    server_ws_url: str, token: str, job_id: str, *, within: float = 180
) -> dict[str, Any]:
    """Follow a job over the subscription until its terminal event; that event's transcription."""
    messages = await Subscriber(server_ws_url, token).follow(job_id, within=within)
    return dict(events(messages)[-1]["transcription"])
