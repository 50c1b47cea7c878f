"""The SQL that spells JSON text writes every value exactly as the general path's encoder
(Strawberry's serializers, then json.dumps(separators=(",", ":"), ensure_ascii=False))."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest

from iafactory.schema.compiled.jsontext import Kind, concat_sql, cursor, scalar
from iafactory.schema.pages import encode_position

STRINGS = [
    "",
    "plain",
    'quote " and backslash \\ and slash /',
    "".join(chr(code) for code in range(1, 0x20)) + "\x7f",
    "é è ç à ù œ – — « » ‘ ’ “ ” … € ذكاء اصطناعي 人工智能 😀 \u2028 \u2029",
]
FLOATS = [0.0, -0.0, 1.0, 0.5, 1 / 3, 0.1 + 0.2, 12.0, 1e-05, 1.5e-07, 0.0001, 123456789012345.0, 9.5e15]
MOMENTS = [
    datetime(2025, 3, 30, 1, 59, 59, 0, tzinfo=UTC),
    datetime(2025, 3, 30, 2, 0, 0, 120000, tzinfo=UTC),
    datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=1))),
]


@pytest.fixture
async def sql(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    # A session TimeZone far from UTC: the answer must not follow it.
    await connection.execute("SET TimeZone = 'Pacific/Chatham'")
    yield connection
    await connection.close()


async def spelled(sql: asyncpg.Connection, kind: Kind, value: object, sql_type: str) -> str:
    expression = concat_sql(scalar(kind, f"$1::{sql_type}", nullable=True))
    text: str = await sql.fetchval(f"SELECT {expression}", value)
    return text


@pytest.mark.parametrize("value", STRINGS)
async def test_strings_are_escaped_as_json_dumps_escapes_them(sql: asyncpg.Connection, value: str) -> None:
    assert await spelled(sql, Kind.STRING, value, "text") == json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("value", FLOATS)
async def test_floats_are_written_as_python_writes_them(sql: asyncpg.Connection, value: float) -> None:
    assert await spelled(sql, Kind.FLOAT, value, "float8") == json.dumps(value)


@pytest.mark.parametrize("moment", MOMENTS)
async def test_datetimes_are_isoformat_in_utc(sql: asyncpg.Connection, moment: datetime) -> None:
    expected = json.dumps(moment.astimezone(UTC).isoformat())
    assert await spelled(sql, Kind.DATETIME, moment, "timestamptz") == expected


@pytest.mark.parametrize("moment", MOMENTS)
async def test_cursors_are_the_general_paths_cursors(sql: asyncpg.Connection, moment: datetime) -> None:
    row_id = uuid.uuid4()
    expected = encode_position(moment.astimezone(UTC), row_id)
    assert await sql.fetchval(f"SELECT {cursor('$1::timestamptz', '$2::uuid')}", moment, row_id) == expected


async def test_nulls_ids_ints_and_booleans(sql: asyncpg.Connection) -> None:
    row_id = uuid.uuid4()
    assert await spelled(sql, Kind.UUID, row_id, "uuid") == f'"{row_id}"'
    assert await spelled(sql, Kind.INT, 42, "int8") == "42"
    assert await spelled(sql, Kind.BOOLEAN, False, "boolean") == "false"
    for kind, sql_type in [(Kind.STRING, "text"), (Kind.FLOAT, "float8"), (Kind.DATETIME, "timestamptz")]:
        assert await spelled(sql, kind, None, sql_type) == "null", kind


async def test_more_parts_than_a_function_takes_are_still_one_expression(sql: asyncpg.Connection) -> None:
    parts = [
        part for index in range(150) for part in (f"{index}:", *scalar(Kind.INT, str(index), nullable=False))
    ]
    text = await sql.fetchval(f"SELECT {concat_sql(parts)}")
    assert text == "".join(f"{index}:{index}" for index in range(150))
