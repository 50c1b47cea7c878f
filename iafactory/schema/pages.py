"""One generic page type, one way to count, and opaque cursors.

`Page[Project]` is served as `ProjectPage` (Strawberry names a generic after its argument).
A page's `totalCount` is a callable run only when the field is selected: a top-level page
counts with a statement of its own, a batched child page already knows its total.

A cursor only encodes a position (created_at, id) in the caller's own list; it is decoded
into a filter that runs inside the tenant's RLS scope, so a forged one can at most skip
through the caller's own rows.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar
from uuid import UUID

import asyncpg
import strawberry

from iafactory.errors import BadUserInput

T = TypeVar("T")
Position = tuple[datetime, UUID]
Count = Callable[[], Awaitable[int]]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Page(Generic[T]):
    nodes: list[T]
    page_info: PageInfo
    count: strawberry.Private[Count]

    @strawberry.field(description="All the items of this list, on every page.")  # type: ignore[untyped-decorator]
    async def total_count(self) -> int:
        return await self.count()


def known(total: int) -> Count:
    """A count already at hand (a batched child page brings its parent's total)."""

    async def count() -> int:
        return total

    return count


@dataclass(frozen=True, slots=True)
class PageRequest:
    """`first` checked against the maximum, `after` decoded: both fail before any SQL runs."""

    first: int
    after: Position | None

    @classmethod
    def of(cls, first: int | None, after: str | None, *, maximum: int, default: int = 20) -> PageRequest:
        return cls(check_first(first, maximum=maximum, default=default), decode_position(after))


def page_of(
    rows: Sequence[asyncpg.Record],
    first: int,
    build: Callable[[asyncpg.Record], T],
    count: Count,
    *,
    position: Callable[[asyncpg.Record], tuple[datetime, UUID | int]] | None = None,
) -> Page[T]:
    """A page from `first + 1` rows ordered newest first (by created_at, id by default)."""
    shown = rows[:first]
    end = shown[-1] if shown else None
    at = position or (lambda row: (row["created_at"], row["id"]))
    return Page(
        nodes=[build(row) for row in shown],
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            end_cursor=encode_position(*at(end)) if end is not None else None,
        ),
        count=count,
    )


def encode_position(created_at: datetime, row_id: UUID | int) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, str]:
    padded = cursor + "=" * (-len(cursor) % 4)
    created_at, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
    return str(created_at), str(row_id)


def decode_position(cursor: str | None) -> Position | None:
    if cursor is None:
        return None
    try:
        created_at, row_id = _decode(cursor)
        position = datetime.fromisoformat(created_at)
        if position.tzinfo is None:
            position = position.replace(tzinfo=UTC)
        # astimezone: a date PostgreSQL cannot hold (year 9999 at -05:00) fails here, not in SQL.
        return position.astimezone(UTC), UUID(row_id)
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError) as error:
        raise BadUserInput("Invalid cursor.") from error


def decode_int_position(cursor: str | None) -> int | None:
    """A cursor over a bigint id (the audit log)."""
    if cursor is None:
        return None
    try:
        _, row_id = _decode(cursor)
        position = int(row_id)
        if not 0 <= position < 2**63:
            raise ValueError("not a bigint")
        return position
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError) as error:
        raise BadUserInput("Invalid cursor.") from error


def check_first(first: int | None, *, maximum: int, default: int = 20) -> int:
    """The page size asked for (null means the default), or BAD_USER_INPUT outside 0..maximum."""
    if first is None:
        return default
    if first < 0 or first > maximum:
        raise BadUserInput(f"`first` must be between 0 and {maximum}.")
    return first
