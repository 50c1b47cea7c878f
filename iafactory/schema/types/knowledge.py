"""The knowledge base: documents and retrieval hits."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

import asyncpg
import strawberry

from iafactory.resolvers.context import OperationContext
from iafactory.schema.types.common import PageInfo


@strawberry.enum
class DocumentSource(Enum):
    TEXT = "TEXT"
    TRANSCRIPTION = "TRANSCRIPTION"


@strawberry.type
class Document:
    id: strawberry.ID
    title: str
    content: str
    source: DocumentSource
    created_at: datetime
    uuid: strawberry.Private[UUID]
    project_id: strawberry.Private[UUID | None]

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> Document:
        return cls(
            id=strawberry.ID(str(row["id"])),
            title=row["title"],
            content=row["content"],
            source=DocumentSource(row["source"]),
            created_at=row["created_at"],
            uuid=row["id"],
            project_id=row["project_id"],
        )

    @strawberry.field
    async def project(self, info: strawberry.Info[OperationContext]) -> Project | None:
        return await info.context.loaders.project(self.project_id)


@strawberry.type
class DocumentPage:
    nodes: list[Document]
    page_info: PageInfo
    total_count: int


@strawberry.input
class AddDocumentInput:
    title: str
    content: str
    project_id: strawberry.ID | None = None


@strawberry.type
class SearchHit:
    document: Document
    score: float
    snippet: str


from iafactory.schema.types.projects import Project  # noqa: E402
