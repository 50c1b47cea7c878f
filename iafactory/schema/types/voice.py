"""The voice agent: transcription jobs and their progress events."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

import strawberry

from iafactory.resolvers.context import OperationContext
from iafactory.schema.types.common import PageInfo


@strawberry.enum
class TranscriptionStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@strawberry.type
class TranscriptSegment:
    start: float
    end: float
    text: str


@strawberry.type
class Transcription:
    id: strawberry.ID
    status: TranscriptionStatus
    progress: float = strawberry.field(description="0.0 to 1.0, never decreasing.")
    filename: str
    language: str | None
    detected_language: str | None
    duration: float | None = strawberry.field(
        description="Seconds of audio, known once decoding starts."
    )
    text: str | None = strawberry.field(description="The full text, once COMPLETED.")
    segments: list[TranscriptSegment]
    error: str | None = strawberry.field(description="A clear reason, when FAILED.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    uuid: strawberry.Private[UUID]
    project_id: strawberry.Private[UUID | None]
    document_id: strawberry.Private[UUID | None]

    @strawberry.field
    async def project(self, info: strawberry.Info[OperationContext]) -> Project | None:
        return await info.context.loaders.project(self.project_id)

    @strawberry.field
    async def document(self, info: strawberry.Info[OperationContext]) -> Document | None:
        return await info.context.loaders.document(self.document_id)


@strawberry.type
class TranscriptionPage:
    nodes: list[Transcription]
    page_info: PageInfo
    total_count: int


@strawberry.type
class TranscriptionEvent:
    transcription: Transcription
    segment: TranscriptSegment | None = strawberry.field(
        description="The segment that this event adds, if any."
    )


from iafactory.schema.types.knowledge import Document  # noqa: E402
from iafactory.schema.types.projects import Project  # noqa: E402
