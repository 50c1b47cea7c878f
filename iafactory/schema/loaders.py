"""Per-operation dataloaders: one batched statement per kind of parent, never shared.

A loader lives exactly as long as its OperationContext (one query or mutation, or one
subscription event), so its cache can never serve one request's rows to another. Loaders
return database records; each GraphQL type builds itself from one (`from_record`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar
from uuid import UUID

from aiodataloader import DataLoader
from asyncpg import Record

from iafactory.db.database import Database
from iafactory.db.queries import documents as document_queries
from iafactory.db.queries import members as member_queries
from iafactory.db.queries import projects as project_queries
from iafactory.db.queries import tenants as tenant_queries
from iafactory.db.queries import transcriptions as transcription_queries
from iafactory.schema.pages import Page, PageRequest, Position, known, page_of

T = TypeVar("T")

ChildPageKey = tuple[UUID, int, Position | None]  # (parent id, first, after)
PageRows = tuple[list[Record], int]  # (rows of the page, the parent's total)
IdsQuery = Callable[..., Awaitable[Sequence[Record]]]


def by_key(
    fetch: Callable[[list[UUID]], Awaitable[Sequence[Record]]], key: str = "id"
) -> DataLoader[UUID, Record | None]:
    """Many rows in one statement; None for a key with no row."""

    async def batch(keys: list[UUID]) -> list[Record | None]:
        found = {row[key]: row for row in await fetch(list(keys))}
        return [found.get(k) for k in keys]

    return DataLoader(batch_load_fn=batch)


def grouped(
    fetch: Callable[[list[UUID]], Awaitable[Sequence[Record]]], key: str
) -> DataLoader[UUID, list[Record]]:
    """Many parents' children in one statement, each parent's in the statement's order."""

    async def batch(keys: list[UUID]) -> list[list[Record]]:
        children: dict[UUID, list[Record]] = defaultdict(list)
        for row in await fetch(list(keys)):
            children[row[key]].append(row)
        return [children[k] for k in keys]

    return DataLoader(batch_load_fn=batch)


def child_pages(
    fetch: Callable[[list[UUID], int, Position | None], Awaitable[Sequence[Record]]],
) -> DataLoader[ChildPageKey, PageRows]:
    """Pages of children for many parents: one statement per distinct (first, after).

    The statement returns each row with its `parent_id` and the parent's `total_count`, and
    one row with a NULL id for a parent whose page is empty, so that its total still arrives.
    """

    async def batch(keys: list[ChildPageKey]) -> list[PageRows]:
        groups: dict[tuple[int, Position | None], list[UUID]] = defaultdict(list)
        for parent_id, first, after in keys:
            groups[(first, after)].append(parent_id)
        found: dict[ChildPageKey, PageRows] = {key: ([], 0) for key in keys}
        for (first, after), parent_ids in groups.items():
            for row in await fetch(parent_ids, first, after):
                key = (row["parent_id"], first, after)
                page, _ = found[key]
                if row["id"] is not None:
                    page.append(row)
                found[key] = (page, int(row["total_count"]))
        return [found[key] for key in keys]

    return DataLoader(batch_load_fn=batch)


class Loaders:
    """The operation's loaders. Tenant-scoped ones answer nothing without a tenant."""

    def __init__(self, db: Database, tenant_id: UUID | None) -> None:
        self._db = db
        self._tenant_id = tenant_id
        self.users = by_key(lambda ids: member_queries.users_by_ids(db, ids=ids))
        self.tenants = by_key(lambda ids: tenant_queries.by_ids(db, ids=ids))
        self.memberships = grouped(
            lambda ids: member_queries.memberships_of_users(db, user_ids=ids), "user_id"
        )
        self.projects = by_key(self._in_tenant(project_queries.by_ids))
        self.documents = by_key(self._in_tenant(document_queries.by_ids))
        self.transcriptions = by_key(self._in_tenant(transcription_queries.by_ids))
        self.segments = grouped(self._segments, "transcription_id")
        self.project_documents = child_pages(self._pages(document_queries.pages_for_projects))
        self.project_transcriptions = child_pages(self._pages(transcription_queries.pages_for_projects))

    def _in_tenant(self, query: IdsQuery) -> Callable[[list[UUID]], Awaitable[Sequence[Record]]]:
        async def fetch(ids: list[UUID]) -> Sequence[Record]:
            if self._tenant_id is None:
                return []
            return await query(self._db, tenant_id=self._tenant_id, ids=ids)

        return fetch

    async def _segments(self, transcription_ids: list[UUID]) -> Sequence[Record]:
        if self._tenant_id is None:
            return []
        return await transcription_queries.segments_for(
            self._db, tenant_id=self._tenant_id, transcription_ids=transcription_ids
        )

    def _pages(
        self, query: IdsQuery
    ) -> Callable[[list[UUID], int, Position | None], Awaitable[Sequence[Record]]]:
        async def fetch(project_ids: list[UUID], first: int, after: Position | None) -> Sequence[Record]:
            if self._tenant_id is None:
                return []
            return await query(
                self._db, tenant_id=self._tenant_id, project_ids=project_ids, first=first, after=after
            )

        return fetch


async def child_page(
    pages: DataLoader[ChildPageKey, PageRows],
    by_id: DataLoader[UUID, Record | None],
    parent_id: UUID,
    request: PageRequest,
    build: Callable[[Record], T],
) -> Page[T]:
    """One parent's page from a batched `child_pages` loader; its rows also answer by id."""
    rows, total = await pages.load((parent_id, request.first, request.after))
    for row in rows[: request.first]:
        by_id.prime(row["id"], row)
    return page_of(rows, request.first, build, known(total))
