"""The knowledge base: documents and retrieval hits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from uuid import UUID

import asyncpg
import strawberry

from iafactory.resolvers.context import OperationContext
from iafactory.schema.types.common import PageInfo
from iafactory.schema.types.identity import User


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
    language: str | None = strawberry.field(
        description="ISO 639 code of the text's language: given when added, else detected"
        " (fr or en); null when neither could be told, and then searched as both."
    )
    created_at: datetime
    indexed_at: datetime | None = strawberry.field(
        description="When semantic search got every passage's vector (searchKnowledge finds it"
        " by meaning from then on; by its words at once). Null until then, and where semantic"
        " search is off."
    )
    uuid: strawberry.Private[UUID]
    project_id: strawberry.Private[UUID | None]
    created_by_id: strawberry.Private[UUID | None]

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> Document:
        return cls(
            id=strawberry.ID(str(row["id"])),
            title=row["title"],
            content=row["content"],
            source=DocumentSource(row["source"]),
            language=row["language"],
            created_at=row["created_at"],
            indexed_at=row.get("indexed_at"),
            uuid=row["id"],
            project_id=row["project_id"],
            created_by_id=row["created_by"],
        )

    @strawberry.field
    async def project(self, info: strawberry.Info[OperationContext]) -> Project | None:
        return await info.context.loaders.project(self.project_id)

    @strawberry.field
    async def created_by(self, info: strawberry.Info[OperationContext]) -> User | None:
        """Who added the document; null once that user is deleted."""
        return await info.context.loaders.user(self.created_by_id)


@strawberry.type
class DocumentPage:
    nodes: list[Document]
    page_info: PageInfo
    # Counting is a statement of its own for a top-level page: run only when asked for.
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    async def total_count(self) -> int:
        """All the documents of this list, on every page."""
        return await self.count()


@strawberry.input
class AddDocumentInput:
    title: str
    content: str
    project_id: strawberry.ID | None = None
    language: str | None = strawberry.field(
        default=None,
        description="ISO 639 code such as fr or en (en-US is read as en); detected when absent.",
    )


@strawberry.enum(
    description="How searchKnowledge ranks: by meaning and words (the default), words only, meaning only."
)
class SearchMode(Enum):
    HYBRID = "HYBRID"
    LEXICAL = "LEXICAL"
    SEMANTIC = "SEMANTIC"


@strawberry.type
class SearchHit:
    document: Document
    score: float = strawberry.field(
        description="Relevance from 0 to 1, comparable within one result list (best first)."
    )
    snippet: str = strawberry.field(
        description="The best matching passage, HTML-escaped, with matched words in <b>...</b>."
    )


from iafactory.schema.types.projects import Project  # noqa: E402
