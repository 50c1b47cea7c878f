"""The tenant tables, read from the live catalog: every table with a `tenant_id` column, with
its columns, primary key and foreign keys, and an order to insert them in.

Reading the catalog rather than a list means a table another revision adds (the knowledge
base's chunks, voice's jobs) is exported, imported and erased without editing this code.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

TABLES = """
SELECT c.oid, c.oid::regclass::text AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
   AND EXISTS (SELECT FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
"""

COLUMNS = """
SELECT a.attrelid AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null, a.attgenerated <> '' AS generated, a.attidentity <> '' AS identity
  FROM pg_attribute a
 WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum
"""

CONSTRAINTS = """
SELECT con.conrelid AS oid, con.contype AS kind, con.confrelid::regclass::text AS target,
       array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
              ORDER BY k.ord) AS columns
  FROM pg_constraint con
 WHERE con.conrelid = ANY($1::oid[]) AND con.contype IN ('p', 'f')
"""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    not_null: bool
    generated: bool
    identity: bool


@dataclass(frozen=True, slots=True)
class Reference:
    columns: tuple[str, ...]
    target: str


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    references: tuple[Reference, ...]

    @property
    def stored(self) -> list[Column]:
        """The columns a row is written with (generated ones are computed by the database)."""
        return [c for c in self.columns if not c.generated]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def user_columns(self) -> list[str]:
        """Columns referencing users (created_by...), which an import may remap."""
        return [r.columns[0] for r in self.references if r.target == "users" and len(r.columns) == 1]


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def tenant_tables(connection: asyncpg.Connection) -> dict[str, Table]:
    tables = await connection.fetch(TABLES)
    oids = [t["oid"] for t in tables]
    columns: dict[int, list[Column]] = {oid: [] for oid in oids}
    for row in await connection.fetch(COLUMNS, oids):
        columns[row["oid"]].append(
            Column(row["name"], row["type"], row["not_null"], row["generated"], row["identity"])
        )
    keys: dict[int, tuple[str, ...]] = {}
    references: dict[int, list[Reference]] = {oid: [] for oid in oids}
    for row in await connection.fetch(CONSTRAINTS, oids):
        if row["kind"] == "p":
            keys[row["oid"]] = tuple(row["columns"])
        else:
            references[row["oid"]].append(Reference(tuple(row["columns"]), row["target"]))
    return {
        t["name"]: Table(
            name=t["name"],
            columns=tuple(columns[t["oid"]]),
            primary_key=keys.get(t["oid"], ()),
            references=tuple(references[t["oid"]]),
        )
        for t in tables
    }


def insertion_order(tables: dict[str, Table]) -> list[str]:
    """Parents before children (by foreign keys between these tables), ties by name. A cycle
    is broken at the table with the fewest unmet references; the import then fills the
    columns of the broken references after every table is in (they must be nullable)."""
    remaining = set(tables)
    order: list[str] = []

    def unmet(name: str) -> int:
        return sum(1 for ref in tables[name].references if ref.target in remaining and ref.target != name)

    while remaining:
        ready = sorted(n for n in remaining if unmet(n) == 0)
        chosen = ready[0] if ready else min(sorted(remaining), key=unmet)
        order.append(chosen)
        remaining.remove(chosen)
    return order
