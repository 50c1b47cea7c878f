"""Projects: a tenant's unit of work, holding documents and transcriptions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import strawberry

from iafactory.resolvers.context import OperationContext
from iafactory.schema.types.common import PageInfo
from iafactory.schema.types.identity import User


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
    async def created_by(self, info: strawberry.Info[OperationContext]) -> User | None:
        return await info.context.loaders.user(self.created_by_id)

    @strawberry.field
    async def documents(
        self, info: strawberry.Info[OperationContext], first: int | None = 20, after: str | None = None
    ) -> DocumentPage:
        return await info.context.loaders.project_documents(self.uuid, first=first, after=after)

    @strawberry.field
    async def transcriptions(
        self, info: strawberry.Info[OperationContext], first: int | None = 20, after: str | None = None
    ) -> TranscriptionPage:
        return await info.context.loaders.project_transcriptions(
            self.uuid, first=first, after=after
        )


@strawberry.type
class ProjectPage:
    nodes: list[Project]
    page_info: PageInfo
    tenant_id: strawberry.Private[UUID]

    @strawberry.field
    async def total_count(self, info: strawberry.Info[OperationContext]) -> int:
        from iafactory.db.queries import projects as project_queries

        return await project_queries.count(info.context.db, tenant_id=self.tenant_id)


@strawberry.input
class CreateProjectInput:
    name: str
    description: str | None = None


@strawberry.input
class UpdateProjectInput:
    """Absent fields stay as they are; `description: null` clears the description."""

    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


from iafactory.schema.types.knowledge import DocumentPage  # noqa: E402
from iafactory.schema.types.voice import TranscriptionPage  # noqa: E402
