"""Erasing a tenant: every row of every tenant table, then the tenant itself, in the caller's
transaction (as the owner role), checked against the catalog before it commits, with a
receipt in `operator_actions` that names the tenant only by its SHA-256.

Users are global accounts and stay, unless `erase_orphan_users`: then the members left
without any membership (and not super-admins, and referenced by no other tenant's rows) are
deleted too, so the people who only existed for this tenant are gone with it.
"""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg

from iafactory.governance.catalog import insertion_order, tenant_tables
from iafactory.governance.portability import PortabilityError, tenant_digest

# Foreign keys to users whose rows belong to the user being erased (they go with it).
OWN_ROWS = frozenset({"tenant_memberships", "refresh_tokens", "sessions", "password_resets"})


async def erase_tenant(
    connection: asyncpg.Connection, tenant_id: UUID, *, actor: str, erase_orphan_users: bool = False
) -> dict[str, int]:
    """Deletes the tenant; returns the rows deleted per table."""
    # The tenant's writers first, as each of them does (0012_tenant_write_lock): a request
    # mid-write finishes, the next waits and then finds its tenant gone.
    await connection.execute("SELECT app.tenant_write_lock($1)", tenant_id)
    if await connection.fetchval("SELECT id FROM tenants WHERE id = $1 FOR UPDATE", tenant_id) is None:
        raise PortabilityError(f"no tenant {tenant_id}")
    members = [
        r["user_id"]
        for r in await connection.fetch(
            "SELECT user_id FROM tenant_memberships WHERE tenant_id = $1", tenant_id
        )
    ]
    tables = await tenant_tables(connection)
    deleted: dict[str, int] = {}
    # Children first, so each count is the table's own rows (not taken by a cascade before).
    for name in reversed(insertion_order(tables)):
        status = await connection.execute(f"DELETE FROM {name} WHERE tenant_id = $1", tenant_id)
        deleted[name] = int(status.split()[-1])
    await connection.execute("DELETE FROM tenants WHERE id = $1", tenant_id)
    deleted["tenants"] = 1
    for name in tables:
        if await connection.fetchval(f"SELECT EXISTS (SELECT FROM {name} WHERE tenant_id = $1)", tenant_id):
            raise PortabilityError(f"rows of the tenant remain in {name}; nothing was erased")
    if erase_orphan_users and members:
        deleted["users"] = await _erase_orphans(connection, members)
    await connection.execute(
        "INSERT INTO operator_actions (action, tenant_digest, actor, details)"
        " VALUES ('erase', $1, $2, $3::text::jsonb)",
        tenant_digest(tenant_id),
        actor,
        json.dumps({"rows_deleted": {k: v for k, v in deleted.items() if v}}),
    )
    return deleted


async def _erase_orphans(connection: asyncpg.Connection, candidates: list[UUID]) -> int:
    references = await connection.fetch(
        "SELECT con.conrelid::regclass::text AS source, a.attname AS column_name FROM pg_constraint con"
        " JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]"
        " WHERE con.contype = 'f' AND con.confrelid = 'users'::regclass AND cardinality(con.conkey) = 1"
    )
    unreferenced = " AND ".join(
        f'NOT EXISTS (SELECT FROM {r["source"]} x WHERE x."{r["column_name"]}" = u.id)'
        for r in references
        if r["source"] not in OWN_ROWS
    )
    status = await connection.execute(
        "DELETE FROM users u WHERE u.id = ANY($1::uuid[]) AND NOT u.is_superadmin"
        " AND NOT EXISTS (SELECT FROM tenant_memberships m WHERE m.user_id = u.id)"
        + (f" AND {unreferenced}" if unreferenced else ""),
        candidates,
    )
    return int(status.split()[-1])
