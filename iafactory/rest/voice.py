"""`/api/voice-agent/*`: transcribe an upload and wait for the text, read a transcription.

The upload goes through the same `transcribeAudio` mutation as GraphQL's multipart request
(probe, quota, job, audit). The route then waits, holding no transaction, for the job's
terminal status through the process's pub/sub (services.pubsub), up to `?timeout=` seconds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import UUID

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from iafactory.errors import ErrorCode
from iafactory.rest.adapter import RestError, endpoint, graphql, text
from iafactory.services import Services

TRANSCRIBE = """mutation Transcribe($file: Upload!, $language: String, $projectId: ID) {
  transcribeAudio(file: $file, language: $language, projectId: $projectId) { id status }
}"""
READ = """query Transcription($id: ID!) {
  transcription(id: $id) {
    id status progress text language detectedLanguage duration error segments { start end text }
  }
}"""
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
DEFAULT_TIMEOUT, MAX_TIMEOUT = 120.0, 600.0
# Notifications wake the waiter at once; this re-read covers one lost in a reconnect.
SAFETY_POLL_SECONDS = 15.0


def shaped(job: dict[str, Any]) -> Response:
    """200 with the result once the job has ended; 202 with its progress while it runs."""
    if job["status"] not in TERMINAL:
        return JSONResponse({"id": job["id"], "status": job["status"], "progress": job["progress"]}, 202)
    answer = {
        "id": job["id"],
        "status": job["status"],
        "text": job["text"],
        "language": job["detectedLanguage"] or job["language"],
        "duration": job["duration"],
        "segments": job["segments"],
    }
    if job["error"]:
        answer["error"] = job["error"]
    return JSONResponse(answer)


async def read(request: Request, job_id: str) -> dict[str, Any]:
    job = (await graphql(request, READ, {"id": job_id}))["transcription"]
    if job is None:
        raise RestError(404, "No such transcription.", ErrorCode.NOT_FOUND.value)
    return dict(job)


def _timeout(request: Request) -> float:
    raw = request.query_params.get("timeout")
    try:
        seconds = DEFAULT_TIMEOUT if raw is None else float(raw)
    except ValueError as error:
        raise RestError.invalid("`timeout` must be a number of seconds.") from error
    if not 0 <= seconds <= MAX_TIMEOUT:
        raise RestError.invalid(f"`timeout` must be between 0 and {MAX_TIMEOUT:.0f} seconds.")
    return seconds


async def wait_for(request: Request, job_id: str, seconds: float) -> dict[str, Any]:
    """The job once it has ended, or as it is when `seconds` have passed."""
    services: Services = request.app.state.services
    deadline = time.monotonic() + seconds
    with services.pubsub.watch(UUID(job_id)) as changed:
        job = await read(request, job_id)  # watched first: no change slips in between
        while job["status"] not in TERMINAL and (left := deadline - time.monotonic()) > 0:
            woken = await changed.wait(min(left, SAFETY_POLL_SECONDS))
            latest = changed.latest
            # Progress events only hint; the job is read again when it may have ended.
            if not woken or latest is None or latest.status in TERMINAL:
                job = await read(request, job_id)
        if job["status"] not in TERMINAL:
            job = await read(request, job_id)  # the progress as the wait ends
    return job


@endpoint
async def transcribe(request: Request) -> Response:
    seconds = _timeout(request)
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise RestError.invalid("`file` must be a file part of a multipart/form-data body.")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        variables = {
            "file": upload,
            "language": text(fields, "language", required=False) or None,
            "projectId": text(fields, "project_id", required=False) or None,
        }
        queued = (await graphql(request, TRANSCRIBE, variables))["transcribeAudio"]
    return shaped(await wait_for(request, queued["id"], seconds))


@endpoint
async def transcription(request: Request) -> Response:
    return shaped(await read(request, request.path_params["id"]))


async def health(request: Request) -> Response:
    services: Services = request.app.state.services
    loadable = await asyncio.to_thread(services.voice_available)
    model = services.settings.whisper_model
    return JSONResponse(
        {"status": "ok", "service": "voice-agent", "model": model, "model_loadable": loadable}
    )
