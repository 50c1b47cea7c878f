"""The voice agent: transcription jobs and their progress events."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

import asyncpg
import strawberry

from iafactory.schema.context import Info
from iafactory.schema.types.refs import DOCUMENT, PROJECT, DocumentRef, ProjectRef
from iafactory.voice import subtitles


@strawberry.enum
class TranscriptionStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="How a completed transcript is rendered by `Transcription.subtitles`.")
class TranscriptFormat(Enum):
    TEXT = "TEXT"
    SRT = "SRT"
    VTT = "VTT"


@strawberry.type
class TranscriptSegment:
    start: float
    end: float
    text: str

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> TranscriptSegment:
        return cls(start=row["start_seconds"], end=row["end_seconds"], text=row["text"])


async def _subtitles(
    root: Transcription,
    info: Info,
    format: TranscriptFormat = TranscriptFormat.SRT,
) -> str | None:
    if root.status is not TranscriptionStatus.COMPLETED:
        return None
    rows = await info.context.loaders.segments.load(root.uuid)
    segments = [TranscriptSegment.from_record(row) for row in rows]
    render = {
        TranscriptFormat.TEXT: subtitles.to_text,
        TranscriptFormat.SRT: subtitles.to_srt,
        TranscriptFormat.VTT: subtitles.to_vtt,
    }[format]
    return render(segments)


@strawberry.type
class Transcription:
    id: strawberry.ID
    status: TranscriptionStatus
    progress: float = strawberry.field(description="0.0 to 1.0, never decreasing.")
    filename: str
    language: str | None
    detected_language: str | None
    duration: float | None = strawberry.field(description="Seconds of audio, known once decoding starts.")
    text: str | None = strawberry.field(description="The full text, once COMPLETED.")
    error: str | None = strawberry.field(description="A clear reason, when FAILED.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int = strawberry.field(
        description="How many times a worker has started this job (a retry follows a crashed worker)."
    )
    segment_count: int = strawberry.field(description="How many segments are stored so far.")
    uuid: strawberry.Private[UUID]
    project_id: strawberry.Private[UUID | None]
    document_id: strawberry.Private[UUID | None]

    @classmethod
    def from_record(cls, row: asyncpg.Record, *, status: str | None = None) -> Transcription:
        """`status` overrides the row's: a subscription shows a segment with the status that
        was announced when the segment arrived."""
        shown = TranscriptionStatus(status or row["status"])
        return cls(
            id=strawberry.ID(str(row["id"])),
            status=shown,
            progress=float(row["progress"]),
            filename=row["filename"],
            language=row["language"],
            detected_language=row["detected_language"],
            duration=row["duration"],
            text=row["text"] if shown is TranscriptionStatus.COMPLETED else None,
            error=row["error"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            attempts=row["attempts"],
            segment_count=row["segment_count"],
            uuid=row["id"],
            project_id=row["project_id"],
            document_id=row["document_id"],
        )

    @strawberry.field
    async def segments(self, info: Info) -> list[TranscriptSegment]:
        """The segments stored so far, in order."""
        if self.segment_count == 0:
            return []
        rows = await info.context.loaders.segments.load(self.uuid)
        return [TranscriptSegment.from_record(row) for row in rows]

    subtitles: str | None = strawberry.field(
        resolver=_subtitles,
        description="The completed transcript as plain text (one line per segment), SRT or WebVTT;"
        " null until COMPLETED.",
    )

    @strawberry.field
    async def project(self, info: Info) -> ProjectRef | None:
        project: ProjectRef | None = await PROJECT.load(info, self.project_id)
        return project

    @strawberry.field
    async def document(self, info: Info) -> DocumentRef | None:
        document: DocumentRef | None = await DOCUMENT.load(info, self.document_id)
        return document


@strawberry.type
class TranscriptionEvent:
    transcription: Transcription
    segment: TranscriptSegment | None = strawberry.field(
        description="The segment that this event adds, if any."
    )
