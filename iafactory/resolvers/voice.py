"""Transcriptions: upload, read, cancel, and the live progress subscription."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from iafactory.db.queries import audit
from iafactory.db.queries import transcriptions as transcription_queries
from iafactory.errors import (
    BadUserInput,
    NotFound,
    PayloadTooLarge,
    TenantRequired,
    Unauthenticated,
    UnsupportedMediaType,
)
from iafactory.resolvers.context import OperationContext
from iafactory.resolvers.pagination import check_first, decode_position, paginate, parse_id
from iafactory.schema.types.voice import (
    Transcription,
    TranscriptionEvent,
    TranscriptionPage,
    TranscriptionStatus,
    TranscriptSegment,
)
from iafactory.voice import jobs
from iafactory.voice.languages import UnsupportedLanguageError, validate_language
from iafactory.voice.probe import AudioTooLong, UnsupportedAudioError
from iafactory.voice.pubsub import PubSub, Watch
from iafactory.voice.storage import UploadTooLarge, default_store, receive_upload

Info = strawberry.Info[OperationContext]
NO_SUCH_TRANSCRIPTION = "No such transcription."
# Notifications wake subscribers at once; this re-read only covers one lost in transit.
SAFETY_POLL_SECONDS = 15.0
POLL_WITHOUT_LISTENER_SECONDS = 1.0


async def transcription(info: Info, id: strawberry.ID) -> Transcription | None:
    """NOT_FOUND for an id that is not a transcription of the active tenant (another
    tenant's id gives exactly the same answer as an unknown one)."""
    await info.context.tenant()
    found: Transcription | None = await info.context.loaders.transcriptions.load(parse_id(id))
    if found is None:
        raise NotFound(NO_SUCH_TRANSCRIPTION)
    return found


async def transcriptions(
    info: Info, first: int | None = 20, after: str | None = None, status: TranscriptionStatus | None = None
) -> TranscriptionPage:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    first = check_first(first, maximum=ctx.settings.max_page_size)
    wanted = status.value if status is not None else None
    rows = await transcription_queries.page(
        ctx.db, tenant_id=tenant_id, status=wanted, first=first, after=decode_position(after)
    )
    nodes, page_info = paginate(rows, first, Transcription.from_record)
    total = await transcription_queries.count(ctx.db, tenant_id=tenant_id, status=wanted)
    return TranscriptionPage(nodes=nodes, page_info=page_info, total_count=total)


async def transcribe_audio(
    info: Info,
    file: Upload,
    language: str | None = None,
    project_id: strawberry.ID | None = None,
    add_to_knowledge_base: bool | None = False,
) -> Transcription:
    """Checks everything it can before writing: the caller, the language, the project id, then
    the file itself (size, and a probe that it is decodable audio). Only then, in the
    operation's transaction: the audio, the QUEUED job, the audit row."""
    ctx = info.context
    _refuse_anonymous(ctx)
    settings = ctx.settings
    try:
        wanted_language = validate_language(language, model_spec=settings.whisper_model)
    except UnsupportedLanguageError as error:
        raise BadUserInput(f"Unsupported language code {error.code!r} for this server's model.") from error
    project = parse_id(project_id, what="projectId") if project_id is not None else None
    source = getattr(file, "file", None)
    if source is None:
        raise BadUserInput(
            "`file` must be a file part of a multipart request (GraphQL multipart request spec)."
        )
    try:
        # Off the event loop, and before the transaction opens: no pooled connection waits on it.
        upload = await receive_upload(
            source,
            filename=getattr(file, "filename", None),
            content_type=getattr(file, "content_type", None),
            max_bytes=settings.max_upload_bytes,
            max_seconds=settings.max_audio_seconds,
        )
    except (UploadTooLarge, AudioTooLong) as error:
        raise PayloadTooLarge(str(error)) from error
    except UnsupportedAudioError as error:
        raise UnsupportedMediaType(f"The upload is not decodable audio: {error.reason}.") from error
    try:
        principal, tenant_id = await ctx.tenant()
        if project is not None and await ctx.loaders.projects.load(project) is None:
            raise NotFound("No such project.")
        audio_id = await default_store().put(
            ctx.db, tenant_id=tenant_id, upload=upload, created_by=principal.user_id
        )
        row = await jobs.enqueue(
            ctx.db,
            tenant_id=tenant_id,
            audio_id=audio_id,
            filename=upload.filename,
            language=wanted_language,
            project_id=project,
            add_to_knowledge_base=bool(add_to_knowledge_base),
            duration=upload.info.duration,
            created_by=principal.user_id,
        )
    finally:
        upload.discard()
    await audit.append(
        ctx.db,
        tenant_id=tenant_id,
        action="transcribe_audio",
        target_type="Transcription",
        target_id=str(row["id"]),
        details={"bytes": upload.size_bytes, "seconds": round(upload.info.duration, 3)},
    )
    return Transcription.from_record(row)


def _refuse_anonymous(ctx: OperationContext) -> None:
    """The token checks that need no database, before an upload is copied and probed."""
    if ctx.request.auth_error is not None:
        raise ctx.request.auth_error
    caller = ctx.caller
    if caller is None or caller.expires_at <= datetime.now(UTC):
        raise Unauthenticated()
    if caller.tenant_id is None:
        raise TenantRequired()


async def cancel_transcription(info: Info, id: strawberry.ID) -> Transcription:
    """A queued or running job becomes CANCELLED at once (a running one stops at its next
    segment); a finished one is returned unchanged."""
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    job_id = parse_id(id)
    row, cancelled = await jobs.cancel(ctx.db, tenant_id=tenant_id, job_id=job_id)
    if row is None:
        raise NotFound(NO_SUCH_TRANSCRIPTION)
    await audit.append(
        ctx.db,
        tenant_id=tenant_id,
        action="cancel_transcription",
        target_type="Transcription",
        target_id=str(job_id),
        details={"cancelled": cancelled, "status": row["status"]},
    )
    return Transcription.from_record(row)


async def transcription_progress(info: Info, id: strawberry.ID) -> AsyncGenerator[TranscriptionEvent, None]:
    """The current state at once, then one event per new segment and per status change,
    until a terminal status. Holds no transaction: each read is its own short one."""
    ctx = info.context
    principal, tenant_id = await ctx.tenant()  # checks the token's expiry on every subscribe
    job_id = parse_id(id)
    pubsub = _pubsub(ctx)
    poll = SAFETY_POLL_SECONDS if pubsub is not None else POLL_WITHOUT_LISTENER_SECONDS
    # Watch before the first read, so no change can slip between the read and the watch.
    watching = pubsub.watch(job_id) if pubsub is not None else contextlib.nullcontext(Watch())
    with watching as changed:
        row = await transcription_queries.get(ctx.db, tenant_id=tenant_id, transcription_id=job_id)
        if row is None:
            raise NotFound(NO_SUCH_TRANSCRIPTION)
        sent, status, attempts = row["segment_count"], row["status"], row["attempts"]
        yield TranscriptionEvent(transcription=Transcription.from_record(row), segment=None)
        while status not in jobs.TERMINAL:
            woke = await changed.wait(poll)
            if principal.expires_at <= datetime.now(UTC):
                raise Unauthenticated("The token expired: subscribe again with a fresh one.")
            ctx.fresh_loaders()
            row = await transcription_queries.get(ctx.db, tenant_id=tenant_id, transcription_id=job_id)
            if row is None:
                raise NotFound(NO_SUCH_TRANSCRIPTION)  # deleted meanwhile, with its project
            announced = row["segment_count"] > sent or (row["status"], row["attempts"]) != (status, attempts)
            if row["segment_count"] > sent:
                added = await transcription_queries.segments_after(
                    ctx.db, tenant_id=tenant_id, transcription_id=job_id, position=sent
                )
                # Only what this row counts (a later segment comes with its own wake-up), and
                # shown with the status announced so far: a terminal status is the last event.
                for segment in added[: row["segment_count"] - sent]:
                    ctx.fresh_loaders()
                    yield TranscriptionEvent(
                        transcription=Transcription.from_record(row, status=status),
                        segment=TranscriptSegment.from_record(segment),
                    )
                    sent = segment["position"]
            # A retry (the worker was lost, another took over) counts as a change of status:
            # re-queue and re-claim can happen in one transaction, leaving RUNNING as it was.
            if (row["status"], row["attempts"]) != (status, attempts):
                status, attempts = row["status"], row["attempts"]
                ctx.fresh_loaders()
                yield TranscriptionEvent(transcription=Transcription.from_record(row), segment=None)
            elif woke and not announced:
                # Progress without a segment, or the worker's heartbeat: the job is alive.
                yield TranscriptionEvent(transcription=Transcription.from_record(row), segment=None)


def _pubsub(ctx: OperationContext) -> PubSub | None:
    found: Any = ctx.services.extras.get("pubsub")
    return found if isinstance(found, PubSub) else None
