"""Per-operation dataloaders: one batched statement per kind of parent, never shared.

A loader lives exactly as long as its OperationContext (one query or mutation, or one
subscription event), so its cache can never serve one request's rows to another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar
from uuid import UUID

import asyncpg
from aiodataloader import DataLoader

from iafactory.db.queries import documents as document_queries
from iafactory.db.queries import members as member_queries
from iafactory.db.queries import projects as project_queries
from iafactory.db.queries import tenants as tenant_queries
from iafactory.db.queries import transcriptions as transcription_queries
from iafactory.db.scope import Database
from iafactory.resolvers.pagination import check_first, decode_position, paginate

if TYPE_CHECKING:
    from iafactory.schema.types.common import PageInfo
    from iafactory.schema.types.identity import User
    from iafactory.schema.types.knowledge import Document, DocumentPage
    from iafactory.schema.types.projects import Project
    from iafactory.schema.types.voice import TranscriptionPage, TranscriptSegment

V = TypeVar("V")
ChildPageKey = tuple[UUID, int, str | None]  # (parent id, first, after)
PageRows = tuple[list[asyncpg.Record], int]  # (rows of the page, the parent's total)
PagesQuery = Callable[[list[UUID], int, tuple[datetime, UUID] | None], Awaitable[Sequence[asyncpg.Record]]]


def by_key(
    fetch: Callable[[list[UUID]], Awaitable[Sequence[asyncpg.Record]]],
    build: Callable[[asyncpg.Record], V],
    key: str = "id",
) -> DataLoader[UUID, V | None]:
    """A loader that fetches many rows in one statement and answers None for missing keys."""

    async def batch(keys: list[UUID]) -> list[V | None]:
        rows = await fetch(list(keys))
        found = {row[key]: build(row) for row in rows}
        return [found.get(k) for k in keys]

    return DataLoader(batch_load_fn=batch)


def child_pages(fetch: PagesQuery) -> DataLoader[ChildPageKey, PageRows]:
    """Pages of children for many parents: one statement per distinct (first, after).

    The statement returns each row with its `parent_id` and the parent's `total_count`, and
    one row with a NULL id for a parent whose page is empty, so that its total still arrives.
    """

    async def batch(keys: list[ChildPageKey]) -> list[PageRows]:
        groups: dict[tuple[int, str | None], list[UUID]] = defaultdict(list)
        for parent_id, first, after in keys:
            groups[(first, after)].append(parent_id)
        found: dict[ChildPageKey, PageRows] = {key: ([], 0) for key in keys}
        for (first, after), parent_ids in groups.items():
            for row in await fetch(parent_ids, first, decode_position(after)):
                key = (row["parent_id"], first, after)
                page, _ = found[key]
                if row["id"] is not None:
                    page.append(row)
                found[key] = (page, int(row["total_count"]))
        return [found[key] for key in keys]

    return DataLoader(batch_load_fn=batch)


class Loaders:
    def __init__(self, db: Database, tenant_id: UUID | None) -> None:
        from iafactory.schema.types.identity import Tenant, User
        from iafactory.schema.types.knowledge import Document
        from iafactory.schema.types.projects import Project

        self._db = db
        self._tenant_id = tenant_id
        self._memberships: dict[UUID, list[asyncpg.Record]] = {}
        self.users = by_key(lambda ids: member_queries.users_by_ids(db, ids=ids), User.from_record)
        self.tenants = by_key(lambda ids: tenant_queries.by_ids(db, ids=ids), Tenant.from_record)
        self.projects = by_key(self._in_tenant(project_queries.by_ids), Project.from_record)
        self.documents = by_key(self._in_tenant(document_queries.by_ids), Document.from_record)
        self._project_documents = child_pages(self._pages_in_tenant(document_queries.pages_for_projects))
        self._init_transcriptions()

    def _in_tenant(
        self, query: Callable[..., Awaitable[Sequence[asyncpg.Record]]]
    ) -> Callable[[list[UUID]], Awaitable[Sequence[asyncpg.Record]]]:
        async def fetch(ids: list[UUID]) -> Sequence[asyncpg.Record]:
            if self._tenant_id is None:
                return []
            return await query(self._db, tenant_id=self._tenant_id, ids=ids)

        return fetch

    def _pages_in_tenant(self, query: Callable[..., Awaitable[Sequence[asyncpg.Record]]]) -> PagesQuery:
        async def fetch(
            project_ids: list[UUID], first: int, after: tuple[datetime, UUID] | None
        ) -> Sequence[asyncpg.Record]:
            if self._tenant_id is None:
                return []
            return await query(
                self._db, tenant_id=self._tenant_id, project_ids=project_ids, first=first, after=after
            )

        return fetch

    async def memberships_of(self, user_id: UUID) -> list[asyncpg.Record]:
        if user_id not in self._memberships:
            self._memberships[user_id] = await member_queries.memberships_of(self._db, user_id=user_id)
        return self._memberships[user_id]

    def user(self, user_id: UUID | None) -> Awaitable[User | None]:
        return _none() if user_id is None else self.users.load(user_id)

    def project(self, project_id: UUID | None) -> Awaitable[Project | None]:
        return _none() if project_id is None else self.projects.load(project_id)

    def document(self, document_id: UUID | None) -> Awaitable[Document | None]:
        return _none() if document_id is None else self.documents.load(document_id)

    async def project_documents(
        self, project_id: UUID, *, first: int | None, after: str | None, max_first: int = 100
    ) -> DocumentPage:
        """Project.documents: batched with every other project's page of this operation."""
        from iafactory.schema.types.knowledge import Document, DocumentPage

        nodes, page_info, total = await _child_page(
            self._project_documents,
            self.documents,
            project_id,
            first,
            after,
            max_first,
            Document.from_record,
        )

        async def count() -> int:
            return total

        return DocumentPage(nodes=nodes, page_info=page_info, count=count)

    # --- transcriptions ------------------------------------------------------------------

    def _init_transcriptions(self) -> None:
        from iafactory.schema.types.voice import Transcription

        self.transcriptions = by_key(self._in_tenant(transcription_queries.by_ids), Transcription.from_record)
        self._project_transcriptions = child_pages(
            self._pages_in_tenant(transcription_queries.pages_for_projects)
        )
        self._transcription_segments: DataLoader[UUID, list[TranscriptSegment]] = DataLoader(
            batch_load_fn=self._segments_of
        )

    async def _segments_of(self, ids: list[UUID]) -> list[list[TranscriptSegment]]:
        from iafactory.schema.types.voice import TranscriptSegment

        by_transcription: dict[UUID, list[TranscriptSegment]] = defaultdict(list)
        if self._tenant_id is not None:
            rows = await transcription_queries.segments_for(
                self._db, tenant_id=self._tenant_id, transcription_ids=list(ids)
            )
            for row in rows:
                by_transcription[row["transcription_id"]].append(TranscriptSegment.from_record(row))
        return [by_transcription[i] for i in ids]

    def transcription_segments(self, transcription_id: UUID) -> Awaitable[list[TranscriptSegment]]:
        return self._transcription_segments.load(transcription_id)

    async def project_transcriptions(
        self, project_id: UUID, *, first: int | None, after: str | None, max_first: int = 100
    ) -> TranscriptionPage:
        """Project.transcriptions: batched with every other project's page of this operation."""
        from iafactory.schema.types.voice import Transcription, TranscriptionPage

        nodes, page_info, total = await _child_page(
            self._project_transcriptions,
            self.transcriptions,
            project_id,
            first,
            after,
            max_first,
            Transcription.from_record,
        )
        return TranscriptionPage(nodes=nodes, page_info=page_info, total_count=total)


class _Node(Protocol):
    uuid: UUID


N = TypeVar("N", bound=_Node)


async def _child_page(
    pages: DataLoader[ChildPageKey, PageRows],
    by_id: DataLoader[UUID, N | None],
    parent_id: UUID,
    first: int | None,
    after: str | None,
    max_first: int,
    build: Callable[[asyncpg.Record], N],
) -> tuple[list[N], PageInfo, int]:
    """One parent's page from a batched child_pages loader; its nodes also answer by id."""
    size = check_first(first, maximum=max_first)
    decode_position(after)  # a bad cursor fails this field alone, not the whole batch
    rows, total = await pages.load((parent_id, size, after))
    nodes, page_info = paginate(rows, size, build)
    for node in nodes:
        by_id.prime(node.uuid, node)
    return nodes, page_info, total


async def _none() -> None:
    return None
