"""The knowledge base: documents and retrieval hits."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

import asyncpg
import strawberry

from iafactory.schema.context import Info
from iafactory.schema.types.identity import User
from iafactory.schema.types.refs import PROJECT, ProjectRef


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
    async def project(self, info: Info) -> ProjectRef | None:
        project: ProjectRef | None = await PROJECT.load(info, self.project_id)
        return project

    @strawberry.field
    async def created_by(self, info: Info) -> User | None:
        """Who added the document; null once that user is deleted."""
        return await User.load(info, self.created_by_id)


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
