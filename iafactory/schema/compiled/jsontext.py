"""SQL that spells JSON text exactly as the general path's encoder does.

The statement builds its answer as TEXT rather than with json_build_object / json_agg:
PostgreSQL's json output puts spaces after `:` and `,`, while the view encodes with
`separators=(",", ":")`. Scalars follow Strawberry's serializers, not PostgreSQL's:

- DateTime: `datetime.isoformat()` in UTC: `+00:00`, microseconds omitted when zero and all
  six digits otherwise (to_json trims zeros and follows the session TimeZone).
- Float: `repr(float)`: `1.0` where PostgreSQL prints `1` (integral values get `.0`; both
  switch to exponent notation below 1e-4, PostgreSQL from 1e15 and Python from 1e16, a
  range no column of ours reaches with a fraction).
- String: PostgreSQL's escape_json and `json.dumps(..., ensure_ascii=False)` escape the same
  characters (`"`, `\\`, control characters as \\b \\f \\n \\r \\t or lowercase \\u00XX).

A value is a list of parts: literal JSON text (`str`) or an SQL expression of type text that
is never NULL (`Expr`); `concat_sql` joins them into one expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True, slots=True)
class Expr:
    sql: str


Part = str | Expr
Parts = list[Part]

# PostgreSQL functions take at most 100 arguments.
MAX_CONCAT_ARGS = 90


class Kind(Enum):
    """How a column's value is written, from its GraphQL scalar and its SQL type."""

    UUID = "uuid"  # an ID held in a uuid column
    STRING = "string"  # String, enums, and IDs held in text
    DATETIME = "datetime"
    FLOAT = "float"
    INT = "int"
    BOOLEAN = "boolean"


def literal(text: str) -> str:
    """An SQL string literal (standard_conforming_strings: only quotes are doubled)."""
    return "'" + text.replace("'", "''") + "'"


def iso_datetime(sql: str) -> str:
    """Python's isoformat() of a timestamptz, in UTC."""
    return (
        f"replace(to_char(({sql}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'),"
        " '.000000+', '+')"
    )


def python_float(sql: str) -> str:
    """repr() of a double precision value: an integral value keeps its `.0`."""
    return (
        f"CASE WHEN ({sql}) = trunc({sql}) AND abs({sql}) < 1e16::float8"
        f" THEN (CASE WHEN ({sql}) = 0 THEN ({sql})::text ELSE ({sql})::bigint::text END) || '.0'"
        f" ELSE ({sql})::text END"
    )


def cursor(created_at: str, row_id: str) -> str:
    """schema/pages.py's encode_position in SQL: base64url of `["<isoformat>","<id>"]`,
    unpadded. encode(..., 'base64') wraps lines at 76 characters: the newlines go too."""
    raw = f"concat('[\"', {iso_datetime(created_at)}, '\",\"', {row_id}, '\"]')"
    return f"rtrim(translate(encode(convert_to({raw}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"


def scalar(kind: Kind, sql: str, *, nullable: bool) -> Parts:
    """The JSON text of one column's value (`null` for NULL when nullable)."""
    if kind is Kind.UUID:
        parts: Parts = ['"', Expr(f"({sql})::text"), '"']
    elif kind is Kind.DATETIME:
        parts = ['"', Expr(iso_datetime(sql)), '"']
    elif kind is Kind.STRING:
        parts = [Expr(f"to_json({sql})::text")]
    elif kind is Kind.FLOAT:
        parts = [Expr(python_float(sql))]
    elif kind is Kind.INT:
        parts = [Expr(f"({sql})::text")]
    else:
        parts = [Expr(f"CASE WHEN {sql} THEN 'true' ELSE 'false' END")]
    return nullable_parts(parts) if nullable else parts


def nullable_parts(parts: Parts) -> Parts:
    """`null` where the value is NULL: `||` yields NULL as soon as one operand is."""
    joined = " || ".join(literal(p) if isinstance(p, str) else f"({p.sql})" for p in parts)
    return [Expr(f"coalesce({joined}, 'null')")]


def string(value: str) -> str:
    """A JSON string literal (keys, __typename): plain ASCII names, nothing to escape."""
    assert value.isascii(), value
    assert '"' not in value, value
    assert "\\" not in value, value
    return f'"{value}"'


def concat_sql(parts: Parts) -> str:
    """One SQL text expression for the parts, adjacent literals merged."""
    args: list[str] = []
    pending = ""
    for part in parts:
        if isinstance(part, str):
            pending += part
            continue
        if pending:
            args.append(literal(pending))
            pending = ""
        args.append(part.sql)
    if pending:
        args.append(literal(pending))
    if len(args) == 1:
        return args[0] if not args[0].startswith("'") else f"{args[0]}::text"
    while len(args) > MAX_CONCAT_ARGS:
        args = [
            f"concat({', '.join(args[i : i + MAX_CONCAT_ARGS])})"
            for i in range(0, len(args), MAX_CONCAT_ARGS)
        ]
    return f"concat({', '.join(args)})"
