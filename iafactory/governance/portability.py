"""A tenant's complete data as one file (format: export_format.md beside this file).

The export, its import (tenant_import.py) and the erasure of a tenant (erasure.py) all run
as the owner role (BYPASSRLS) inside the caller's transaction, with an explicit
`tenant_id = $1` on every statement; the export checks every row it writes carries that
tenant id, and the import refuses a row that does not (an edited file cannot reach another
tenant). The tenant tables come from the catalog (catalog.py).

>>> async with transaction(connection, role=DbRole.OWNER, request_id="cli",
...                        isolation=Isolation.REPEATABLE_READ) as db:
...     async for line in export_tenant(db.raw, tenant_id, audio=True):
...         out.write(line)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from iafactory.governance.catalog import Table, insertion_order, quote, tenant_tables

FORMAT = "iafactory-tenant-export"
VERSION = 1
# Sessions are credentials, not data: after an import the members sign in again.
EXCLUDED = {
    "refresh_tokens": "sessions (refresh tokens) are credentials, not data",
    # Its user is the operator's super-admin, not a member; the audit log keeps the trace.
    "support_sessions": "support sessions are the operator's credentials, not the tenant's data",
    "tenant_sequences": "counters, moved past the rows they number as those are imported",
    "embedding_jobs": "the semantic indexing queue: rebuilt after an import",
}
# Tables an import may skip where this database lacks them: search vectors without pgvector
# (the documents are queued for indexing instead; operations.import_from).
OPTIONAL = frozenset({"chunk_embeddings"})
# Columns that are credentials, never exported (the app role of a self-service export cannot
# even read them); an import gives each row a fresh value no link hashes to (tenant_import.py).
WITHHELD_COLUMNS = {
    "invitations": {"token_hash": "invitation links are credentials: pending invitations must be sent again"},
}
# Left out by `--no-audio`; references to them are exported as null, as if deleted.
AUDIO_TABLES = frozenset({"audio_files"})
USER_COLUMNS = ("id", "email", "full_name", "created_at")
BATCH_ROWS = 500


class PortabilityError(Exception):
    """A refusal with a one-line reason (bad file, tenant already there...)."""


def tenant_digest(tenant_id: UUID) -> str:
    return hashlib.sha256(str(tenant_id).encode()).hexdigest()


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def _row_line(table: str, row_json: str) -> bytes:
    # The row is PostgreSQL's own JSON text (row_to_json), embedded without re-encoding.
    return b'{"table":' + json.dumps(table).encode() + b',"row":' + row_json.encode() + b"}\n"


def _select(table: Table, nulled: set[str]) -> str:
    expressions = []
    withheld = WITHHELD_COLUMNS.get(table.name, {})
    for column in table.stored:
        if column.name in withheld:
            continue
        name = quote(column.name)
        if column.name in nulled:
            expressions.append(f"NULL AS {name}")
        elif column.type == "bytea":
            expressions.append(f"translate(encode(t.{name}, 'base64'), E'\\n', '') AS {name}")
        else:
            expressions.append(f"t.{name}")
    order = ", ".join(f"t.{quote(c)}" for c in table.primary_key) or "1"
    return (
        f"SELECT row_to_json(x)::text AS row, x.tenant_id FROM (SELECT {', '.join(expressions)}"
        f" FROM {table.name} t WHERE t.tenant_id = $1 ORDER BY {order}) x"
    )


async def export_tenant(
    connection: asyncpg.Connection,
    tenant_id: UUID,
    *,
    audio: bool = True,
    password_hashes: bool = False,
    actor: str = "cli",
) -> AsyncIterator[bytes]:
    """The export file, line by line. Run inside a REPEATABLE READ transaction as the owner
    role: every table is read from one snapshot."""
    tables = await tenant_tables(connection)
    order = [n for n in insertion_order(tables) if n not in EXCLUDED and (audio or n not in AUDIO_TABLES)]
    tenant = await connection.fetchval(
        "SELECT row_to_json(t)::text FROM tenants t WHERE t.id = $1", tenant_id
    )
    if tenant is None:
        raise PortabilityError(f"no tenant {tenant_id}")
    digest = hashlib.sha256()
    counts: dict[str, int] = {"tenants": 1}

    def emit(line: bytes) -> bytes:
        digest.update(line)
        return line

    yield emit(
        _line(
            {
                "format": FORMAT,
                "version": VERSION,
                "exported_at": datetime.now(UTC).isoformat(),
                "exported_by": actor,
                "schema_revision": await connection.fetchval("SELECT version_num FROM alembic_version"),
                "tenant_id": str(tenant_id),
                "audio": audio,
                "password_hashes": password_hashes,
                "bytea": "base64",
                "tables": order,
                "withheld": WITHHELD_COLUMNS,
                "excluded": {
                    **EXCLUDED,
                    **({} if audio else {t: "--no-audio" for t in AUDIO_TABLES if t in tables}),
                },
            }
        )
    )
    yield emit(_row_line("tenants", tenant))
    user_columns = ", ".join(
        f"u.{c}" for c in (*USER_COLUMNS, *(("password_hash",) if password_hashes else ()))
    )
    async for record in connection.cursor(
        f"SELECT row_to_json(x)::text FROM (SELECT {user_columns} FROM users u"
        " JOIN tenant_memberships m ON m.user_id = u.id AND m.tenant_id = $1 ORDER BY u.id) x",
        tenant_id,
    ):
        counts["users"] = counts.get("users", 0) + 1
        yield emit(_row_line("users", record[0]))
    for name in order:
        table = tables[name]
        nulled = {
            ref.columns[-1]
            for ref in table.references
            if ref.target in tables
            and ref.target not in order
            and ref.target != name
            and len(ref.columns) == 2
            and ref.columns[0] == "tenant_id"
        }
        counts[name] = 0
        async for record in connection.cursor(_select(table, nulled), tenant_id, prefetch=50):
            if record["tenant_id"] != tenant_id:  # belt and braces: never another tenant's row
                raise PortabilityError(f"{name}: a row of another tenant was selected")
            counts[name] += 1
            yield emit(_row_line(name, record["row"]))
    yield _line({"end": True, "rows": counts, "sha256": digest.hexdigest()})
