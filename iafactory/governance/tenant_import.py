"""Restoring a tenant from its export file (format: export_format.md), same ids.

Runs as the owner role inside the caller's transaction: a file that fails any check leaves
nothing behind, and a row whose tenant id is not the file's own is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from iafactory.governance.catalog import Table, quote, tenant_tables
from iafactory.governance.portability import (
    BATCH_ROWS,
    EXCLUDED,
    FORMAT,
    OPTIONAL,
    USER_COLUMNS,
    VERSION,
    WITHHELD_COLUMNS,
    PortabilityError,
)


@dataclass
class ImportReport:
    tenant_id: UUID
    slug: str
    rows: dict[str, int] = field(default_factory=dict)
    users_created: int = 0
    users_without_password: int = 0
    users_matched_by_email: int = 0


async def import_tenant(
    connection: asyncpg.Connection, lines: Iterable[bytes], *, slug: str | None = None
) -> ImportReport:
    """Restores an export file into this database (same ids). Run inside a transaction as the
    owner role: a file that fails any check leaves nothing behind."""
    importer = _Importer(connection, slug)
    digest = hashlib.sha256()
    trailer: dict[str, Any] | None = None
    for raw in lines:
        if not raw.strip():
            continue
        if trailer is not None:
            raise PortabilityError("data after the end of the export")
        try:
            record = json.loads(raw)
        except ValueError as error:
            raise PortabilityError(f"not an export file (line {sum(importer.seen.values()) + 1})") from error
        if record.get("end") is True:
            trailer = record
            continue
        digest.update(raw if raw.endswith(b"\n") else raw + b"\n")
        await importer.take(record)
    if trailer is None:
        raise PortabilityError("the file is truncated (no end record)")
    if trailer.get("sha256") != digest.hexdigest():
        raise PortabilityError("the file is corrupt (checksum mismatch)")
    if importer.report is None:
        raise PortabilityError("the file holds no tenant")
    await importer.finish()
    expected = {name: count for name, count in (trailer.get("rows") or {}).items() if count}
    if expected != importer.seen:
        raise PortabilityError(f"row counts differ from the file's own: {expected} != {importer.seen}")
    importer.report.rows = dict(importer.seen)
    return importer.report


class _Importer:
    def __init__(self, connection: asyncpg.Connection, slug: str | None) -> None:
        self.sql = connection
        self.slug = slug
        self.header: dict[str, Any] | None = None
        self.tables: dict[str, Table] = {}
        self.deferred: dict[str, set[str]] = {}
        self.later: list[tuple[Table, set[str], list[dict[str, Any]]]] = []
        self.user_ids: dict[str, str | None] = {}
        self.seen: dict[str, int] = {}
        self.batch: list[dict[str, Any]] = []
        self.batch_table: str | None = None
        self.report: ImportReport | None = None
        self.skipped: set[str] = set()  # OPTIONAL tables this database lacks

    async def take(self, record: dict[str, Any]) -> None:
        if self.header is None:
            await self._start(record)
            return
        table, row = record.get("table"), record.get("row")
        if not isinstance(table, str) or not isinstance(row, dict):
            raise PortabilityError("a line is neither a row nor the end record")
        self.seen[table] = self.seen.get(table, 0) + 1
        if table == "tenants":
            await self._tenant(row)
        elif table == "users":
            await self._user(row)
        else:
            await self._row(table, row)

    async def _start(self, header: dict[str, Any]) -> None:
        if header.get("format") != FORMAT:
            raise PortabilityError("not an IAFactory tenant export (unknown format)")
        if header.get("version") != VERSION:
            raise PortabilityError(f"export format version {header.get('version')} is not supported")
        self.header = header
        self.tables = await tenant_tables(self.sql)
        listed: list[str] = list(header.get("tables") or [])
        unknown = [t for t in listed if (t not in self.tables and t not in OPTIONAL) or t in EXCLUDED]
        if unknown:
            raise PortabilityError(f"tables missing from this database: {unknown} (migrate it first)")
        self.skipped = {t for t in listed if t not in self.tables}
        listed = [t for t in listed if t not in self.skipped]
        # A reference to a table that comes later in the file (or to its own table) is
        # written NULL first and filled in once every row is in.
        for position, name in enumerate(listed):
            self.deferred[name] = {
                ref.columns[-1]
                for ref in self.tables[name].references
                if ref.target in listed[position:] and len(ref.columns) == 2 and ref.columns[0] == "tenant_id"
            }

    async def _tenant(self, row: dict[str, Any]) -> None:
        assert self.header is not None
        if row.get("id") != self.header.get("tenant_id"):
            raise PortabilityError("the tenant row does not match the header")
        if await self.sql.fetchval("SELECT EXISTS (SELECT FROM tenants WHERE id = $1::uuid)", row["id"]):
            raise PortabilityError(f"tenant {row['id']} already exists in this database (delete it first)")
        row = {**row, "slug": self.slug or row.get("slug")}
        if await self.sql.fetchval("SELECT EXISTS (SELECT FROM tenants WHERE slug = $1)", row["slug"]):
            raise PortabilityError(f"the slug {row['slug']!r} is taken here: import with --slug NEW")
        await self._insert("tenants", list(row), [row])
        self.report = ImportReport(tenant_id=UUID(row["id"]), slug=row["slug"])

    async def _user(self, row: dict[str, Any]) -> None:
        assert self.report is not None, "users come after the tenant"
        existing = await self.sql.fetchrow(
            "SELECT id::text, email FROM users WHERE id = $1::uuid OR email = $2"
            " ORDER BY (id = $1::uuid) DESC LIMIT 1",
            row["id"],
            row["email"],
        )
        if existing is not None:
            # Same id: the same account. Same email only: that person's account here.
            self.user_ids[row["id"]] = existing["id"]
            self.report.users_matched_by_email += existing["id"] != row["id"]
            return
        columns = [c for c in (*USER_COLUMNS, "password_hash") if c in row]
        await self._insert("users", columns, [row])
        self.user_ids[row["id"]] = row["id"]
        self.report.users_created += 1
        self.report.users_without_password += not row.get("password_hash")

    async def _row(self, name: str, row: dict[str, Any]) -> None:
        assert self.header is not None
        assert self.report is not None
        if name in self.skipped:
            return
        table = self.tables.get(name)
        if table is None or name not in (self.header.get("tables") or []):
            raise PortabilityError(f"rows of table {name!r}, which the header does not list")
        if row.get("tenant_id") != self.header["tenant_id"]:
            raise PortabilityError(f"{name}: a row of another tenant")
        for column, value in row.items():
            spec = table.column(column)
            if spec is None or spec.generated:
                raise PortabilityError(f"{name}.{column} does not exist in this database (migrate it first)")
            if spec.type == "bytea" and value is not None:
                row[column] = "\\x" + base64.b64decode(value).hex()
        for column in WITHHELD_COLUMNS.get(name, {}):
            if row.get(column) is None:  # a value no link hashes to: the link must be sent again
                row[column] = "\\x" + secrets.token_bytes(32).hex()
        for column in table.user_columns() + (["actor_id"] if name == "audit_log" else []):
            if row.get(column) is not None:
                row[column] = await self._user_id(table, column, row[column])
        if (
            self.batch_table != name
            or len(self.batch) >= BATCH_ROWS
            or any(c.type == "bytea" for c in table.columns)
        ):
            await self._flush()
        self.batch_table = name
        self.batch.append(row)

    async def _user_id(self, table: Table, column: str, user_id: str) -> str | None:
        if user_id not in self.user_ids:
            exists = await self.sql.fetchval("SELECT EXISTS (SELECT FROM users WHERE id = $1::uuid)", user_id)
            self.user_ids[user_id] = user_id if exists else None
        mapped = self.user_ids[user_id]
        spec = table.column(column)
        if mapped is None and spec is not None and spec.not_null:
            raise PortabilityError(f"{table.name}.{column}: user {user_id} is neither in the file nor here")
        return mapped

    async def _flush(self) -> None:
        if not self.batch or self.batch_table is None:
            return
        table = self.tables[self.batch_table]
        deferred = self.deferred.get(table.name, set())
        columns = sorted({c for row in self.batch for c in row})
        if deferred:
            self.later.append((table, deferred, [r for r in self.batch if any(r.get(c) for c in deferred)]))
            self.batch = [{**r, **dict.fromkeys(deferred)} for r in self.batch]
        await self._insert(table.name, columns, self.batch)
        self.batch = []

    async def _insert(self, table: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
        names = ", ".join(quote(c) for c in columns)
        overriding = (
            " OVERRIDING SYSTEM VALUE"
            if table in self.tables and any(c.identity for c in self.tables[table].columns)
            else ""
        )
        await self.sql.execute(
            f"INSERT INTO {table} ({names}){overriding}"
            f" SELECT {names} FROM json_populate_recordset(NULL::{table}, $1::text::json)",
            json.dumps(rows),
        )

    async def finish(self) -> None:
        await self._flush()
        for table, columns, rows in self.later:
            key = " AND ".join(f"t.{quote(c)} = s.{quote(c)}" for c in table.primary_key)
            assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in sorted(columns))
            await self.sql.execute(
                f"UPDATE {table.name} t SET {assignments}"
                f" FROM json_populate_recordset(NULL::{table.name}, $1::text::json) s WHERE {key}",
                json.dumps(rows),
            )
        # Identity columns (audit_log.id) share one sequence across tenants: move it past
        # the imported values, or a later row of this tenant could be given an id it has.
        for table in (self.tables[name] for name in self.seen if name in self.tables):
            for column in (c for c in table.columns if c.identity):
                sequence = await self.sql.fetchval(
                    "SELECT pg_get_serial_sequence($1, $2)", table.name, column.name
                )
                await self.sql.execute(
                    f"SELECT setval($1::regclass, greatest((SELECT last_value FROM {sequence}),"
                    f" (SELECT max({quote(column.name)}) FROM {table.name})))",
                    sequence,
                )
