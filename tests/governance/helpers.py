"""What the governance tests share: the governed server's sign-in limits, an operator's quota
override, and a transcription upload."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.database import sql
from tests.support.graphql import GraphQLClient
from tests.support.upload import post_file

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
SPEECH = AUDIO / "speech_en.wav"  # about 23 s of English
TRANSCRIBE = "mutation($file: Upload!) { transcribeAudio(file: $file) { id status duration } }"

# The governed server's sign-in limits, low enough to reach in a test.
LOGIN_LIMIT = 3
REGISTER_LIMIT = 2

OVERRIDE = (
    "INSERT INTO tenant_quota_overrides (tenant_id, quota, value) VALUES ($1, $2, $3)"
    " ON CONFLICT (tenant_id, quota) DO UPDATE SET value = EXCLUDED.value"
)


def override(database_url: str, tenant_id: str, quota: str, value: float | None) -> None:
    """An operator's per-tenant override of one plan limit (None: unlimited)."""
    sql(database_url, OVERRIDE, tenant_id, quota, value)


def upload(
    client: GraphQLClient, token: str, path: Path = SPEECH, *, request_id: str | None = None
) -> httpx.Response:
    """transcribeAudio through the GraphQL multipart request spec."""
    return post_file(
        client.url,
        TRANSCRIBE,
        path.read_bytes(),
        filename=path.name,
        content_type="audio/wav",
        token=token,
        headers={"X-Request-ID": request_id} if request_id else None,
        http=client.http,
    )
