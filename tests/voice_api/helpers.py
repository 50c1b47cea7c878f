"""Helpers for the voice API tests: uploads, word recall, and counting job rows as the
superuser (to prove what was NOT written); the subscriber (tests/support/subscriptions.py)
is imported from here too."""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from tests.support.database import sql, superuser_value
from tests.support.subscriptions import PROGRESS as PROGRESS
from tests.support.subscriptions import Received as Received
from tests.support.subscriptions import Subscriber as Subscriber
from tests.support.subscriptions import events as events
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
