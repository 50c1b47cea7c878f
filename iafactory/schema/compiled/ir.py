"""A compiled operation before it is SQL: what the answer is made of, and where each of the
statement's parameters comes from (the caller, or an argument of the request).

The compiler builds this once per document; render.py turns it into SQL for each pattern
of NULL parameters (a page without `after` has no keyset predicate at all, rather than
`$n IS NULL OR ...`, which would hide the index from a generic plan).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from iafactory.schema.compiled.catalog import Node
from iafactory.schema.compiled.jsontext import Kind


class Absent(Enum):
    """An argument or variable the request does not give (distinct from null)."""

    ABSENT = "absent"


ABSENT = Absent.ABSENT


# --- where parameters come from -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VariableSpec:
    """A variable definition of the operation: a named input type, no lists."""

    name: str
    type_name: str  # Int, String, ID, Boolean, or an enum's name
    nullable: bool
    default: Any  # ABSENT when the definition has none
    enum_values: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class ArgumentSpec:
    """One field argument: a literal (compiled in) or a variable, and how it is checked."""

    convert: str  # "first" | "after" | "id" | "optional_id" | "enum"
    literal: Any = ABSENT
    variable: str | None = None
    default: Any = ABSENT  # the schema's default, when the argument is absent


@dataclass(frozen=True, slots=True)
class SlotSpec:
    """One statement parameter. `source`: ("caller", attribute) or ("argument", index, part)."""

    sql_type: str
    source: tuple[Any, ...]


# --- what the answer is made of ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Const:
    json: str


@dataclass(frozen=True, slots=True)
class Value:
    """A column of the current row; `sql` has `{row}` for the row's alias."""

    kind: Kind
    sql: str
    nullable: bool
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Raw:
    """JSON text computed from the caller, passed as a parameter (Viewer.role...)."""

    slot: int


@dataclass(frozen=True, slots=True)
class Obj:
    entries: tuple[tuple[str, IR], ...]


@dataclass(frozen=True, slots=True)
class ColumnKey:
    column: str  # of the enclosing row


@dataclass(frozen=True, slots=True)
class SlotKey:
    slot: int


Key = ColumnKey | SlotKey


@dataclass(frozen=True, slots=True)
class One:
    """The row of `node` whose id is `key`, or null."""

    node: Node
    key: Key
    body: Obj


@dataclass(frozen=True, slots=True)
class ParentRow:
    """A child page's node pointing back at the page's parent (Project.documents ->
    Document.project): the parent row itself, already read, visible and in the same
    snapshot, rather than one lookup per node."""

    body: Obj


@dataclass(frozen=True, slots=True)
class Many:
    """Every row of `node` whose `column` equals `key`, as a list, in `order`."""

    node: Node
    column: str
    key: Key
    order: tuple[str, ...]
    body: Obj


# Inside a page's body.
@dataclass(frozen=True, slots=True)
class Nodes:
    body: Obj


@dataclass(frozen=True, slots=True)
class HasNextPage:
    pass


@dataclass(frozen=True, slots=True)
class EndCursor:
    pass


@dataclass(frozen=True, slots=True)
class TotalCount:
    pass


@dataclass(frozen=True, slots=True)
class Page:
    """Page[T]: newest first (created_at DESC, id DESC), `first + 1` rows for hasNextPage.

    `link`: the child's column that holds the enclosing row's id (Project.documents);
    `filters`: (column, slot) equalities, left out when the slot is NULL."""

    node: Node
    link: str | None
    filters: tuple[tuple[str, int], ...]
    first: int
    after: tuple[int, int]  # slots of the cursor's created_at and id
    body: Obj


IR = Const | Value | Raw | Obj | One | ParentRow | Many | Page | Nodes | HasNextPage | EndCursor | TotalCount
