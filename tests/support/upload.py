"""The GraphQL multipart request (github.com/jaydenseric/graphql-multipart-request-spec): an
`operations` part whose `variables.file` is null, a `map` part, and the file part."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path
from typing import Any

import httpx

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"


def post_file(
    url: str,
    query: str,
    content: bytes,
    *,
    filename: str,
    variables: dict[str, Any] | None = None,
    content_type: str = "application/octet-stream",
    token: str | None = None,
    headers: dict[str, str] | None = None,
    preflight: bool = True,
    http: httpx.Client | None = None,
    timeout: float = 60,
) -> httpx.Response:
    """POST `query` with `content` as its `$file` variable; `variables` fills the others.

    `preflight` sends `Apollo-Require-Preflight` (the server's CSRF guard refuses uploads
    without it); `http` reuses a client's connections.
    """
    all_headers = {"Apollo-Require-Preflight": "true"} if preflight else {}
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers.update(headers or {})
    operations = {"query": query, "variables": {**(variables or {}), "file": None}}
    parts = {"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})}
    files = {"0": (filename, content, content_type)}
    if http is not None:
        return http.post(url, headers=all_headers, data=parts, files=files)
    return httpx.post(url, headers=all_headers, data=parts, files=files, timeout=timeout)


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
