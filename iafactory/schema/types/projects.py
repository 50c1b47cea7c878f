"""Projects: a tenant's unit of work, holding documents and transcriptions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import strawberry

from iafactory.schema.context import Info
from iafactory.schema.loaders import child_page
from iafactory.schema.pages import Page, PageRequest
from iafactory.schema.types.identity import User
from iafactory.schema.types.refs import DOCUMENT, TRANSCRIPTION, DocumentRef, TranscriptionRef


@strawberry.type
class Project:
    id: strawberry.ID
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    uuid: strawberry.Private[UUID]
    created_by_id: strawberry.Private[UUID | None]

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> Project:
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            description=row["description"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            uuid=row["id"],
            created_by_id=row["created_by"],
        )

    @strawberry.field
    async def created_by(self, info: Info) -> User | None:
        return await User.load(info, self.created_by_id)

    @strawberry.field
    async def documents(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Page[DocumentRef]:
        """Batched with every other project's page of this operation: one statement."""
        loaders = info.context.loaders
        request = PageRequest.of(first, after, maximum=info.context.settings.max_page_size)
        return await child_page(
            loaders.project_documents, loaders.documents, self.uuid, request, DOCUMENT.build
        )

    @strawberry.field
    async def transcriptions(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Page[TranscriptionRef]:
        loaders = info.context.loaders
        request = PageRequest.of(first, after, maximum=info.context.settings.max_page_size)
        return await child_page(
            loaders.project_transcriptions, loaders.transcriptions, self.uuid, request, TRANSCRIPTION.build
        )


@strawberry.input
class CreateProjectInput:
    name: str
    description: str | None = None


@strawberry.input
class UpdateProjectInput:
    """Absent fields stay as they are; `description: null` clears the description."""

    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
