"""Transcriptions: upload, read, cancel, and the live progress subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry
from strawberry.file_uploads import Upload

from iafactory.db.queries import audit
from iafactory.db.queries import transcriptions as transcription_queries
from iafactory.errors import (
    BadUserInput,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    UnsupportedMediaType,
)
from iafactory.resolvers.validation import parse_id
from iafactory.schema.context import Info
from iafactory.schema.pages import Page, PageRequest, page_of
from iafactory.schema.types.voice import (
    Transcription,
    TranscriptionEvent,
    TranscriptionStatus,
    TranscriptSegment,
)
from iafactory.voice import jobs
from iafactory.voice.languages import UnsupportedLanguageError, validate_language
from iafactory.voice.probe import AudioTooLong, UnsupportedAudioError
from iafactory.voice.storage import UploadTooLarge, default_store, receive_upload

NO_SUCH_TRANSCRIPTION = "No such transcription."
# Notifications wake subscribers at once; this re-read only covers one lost in transit.
SAFETY_POLL_SECONDS = 15.0


async def transcription(info: Info, id: strawberry.ID) -> Transcription | None:
    """NOT_FOUND for an id that is not a transcription of the active tenant (another
    tenant's id gives exactly the same answer as an unknown one)."""
    await info.context.tenant()
    row = await info.context.loaders.transcriptions.load(parse_id(id))
    if row is None:
        raise NotFound(NO_SUCH_TRANSCRIPTION)
    return Transcription.from_record(row)


async def transcriptions(
    info: Info, first: int | None = 20, after: str | None = None, status: TranscriptionStatus | None = None
) -> Page[Transcription]:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    request = PageRequest.of(first, after, maximum=ctx.settings.max_page_size)
    wanted = status.value if status is not None else None
    rows = await transcription_queries.page(
        ctx.db, tenant_id=tenant_id, status=wanted, first=request.first, after=request.after
    )

    async def count() -> int:
        return await transcription_queries.count(ctx.db, tenant_id=tenant_id, status=wanted)

    return page_of(rows, request.first, Transcription.from_record, count)


async def transcribe_audio(
    info: Info,
    file: Upload,
    language: str | None = None,
    project_id: strawberry.ID | None = None,
    add_to_knowledge_base: bool | None = False,
) -> Transcription:
    """Checks everything it can before writing: the caller against the database first (a
    removed member's token copies and probes nothing), the language, the project id, then the
    file itself (size, and a probe that it is decodable audio). Only then: the audio, the
    QUEUED job, the audit row."""
    ctx = info.context
    principal, tenant_id = await ctx.tenant()
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
        # Off the event loop. The transaction is open (the caller's check opened it) and waits
        # for the copy and probe, both bounded by the upload limit.
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
    # Watch before the first read, so no change can slip between the read and the watch.
    with ctx.services.pubsub.watch(job_id) as changed:
        row = await transcription_queries.get(ctx.db, tenant_id=tenant_id, transcription_id=job_id)
        if row is None:
            raise NotFound(NO_SUCH_TRANSCRIPTION)
        sent, status, attempts = row["segment_count"], row["status"], row["attempts"]
        yield TranscriptionEvent(transcription=Transcription.from_record(row), segment=None)
        while status not in jobs.TERMINAL:
            woke = await changed.wait(SAFETY_POLL_SECONDS)
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
