"""Opaque cursors and page-size checks.

A cursor only encodes a position (created_at, id) in the caller's own list; it is decoded
into a filter that runs inside the tenant's RLS scope, so a forged one can at most skip
through the caller's own rows.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

import asyncpg

from iafactory.errors import BadUserInput
from iafactory.schema.types.common import PageInfo

T = TypeVar("T")


def encode_position(created_at: datetime, row_id: UUID | int) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_position(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        position = datetime.fromisoformat(created_at)
        if position.tzinfo is None:
            position = position.replace(tzinfo=UTC)
        # astimezone: a date PostgreSQL cannot hold (year 9999 at -05:00) fails here, not in SQL.
        return position.astimezone(UTC), UUID(str(row_id))
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError) as error:
        raise BadUserInput("Invalid cursor.") from error


def decode_int_position(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        _, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
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


def parse_id(value: str, *, what: str = "id") -> UUID:
    """A client-supplied ID as a UUID, or BAD_USER_INPUT (never reaching SQL malformed)."""
    try:
        return UUID(str(value))
    except (ValueError, TypeError) as error:
        raise BadUserInput(f"`{what}` is not a valid ID.") from error


def paginate(
    rows: Sequence[asyncpg.Record], first: int, build: Callable[[asyncpg.Record], T]
) -> tuple[list[T], PageInfo]:
    """Nodes and page info from `first + 1` rows ordered newest first by (created_at, id)."""
    shown = rows[:first]
    end = shown[-1] if shown else None
    return [build(row) for row in shown], PageInfo(
        has_next_page=len(rows) > first,
        end_cursor=encode_position(end["created_at"], end["id"]) if end is not None else None,
    )
