"""Tenant rows: members read their own through row-level security; the super-admin queries
run inside `TenantScope.elevated()` (BYPASSRLS) and are the only way to see every tenant."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from iafactory.db.scope import Database

COLUMNS = "id, name, slug, region, plan, status, created_at"


async def by_ids(db: Database, *, ids: list[UUID]) -> list[asyncpg.Record]:
    return await db.fetch(f"SELECT {COLUMNS} FROM tenants WHERE id = ANY($1::uuid[])", ids)


async def plan_limits(db: Database, *, tenant_id: UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT p.* FROM tenants t JOIN plans p USING (plan) WHERE t.id = $1", tenant_id
    )


async def page_all(
    db: Database, *, first: int, after: tuple[datetime, UUID] | None
) -> list[asyncpg.Record]:
    if after is None:
        return await db.fetch(
            f"SELECT {COLUMNS} FROM tenants ORDER BY created_at DESC, id DESC LIMIT $1", first + 1
        )
    return await db.fetch(
        f"SELECT {COLUMNS} FROM tenants WHERE (created_at, id) < ($2, $3)"
        " ORDER BY created_at DESC, id DESC LIMIT $1",
        first + 1,
        after[0],
        after[1],
    )


async def count_all(db: Database) -> int:
    return int(await db.fetchval("SELECT count(*) FROM tenants"))


async def create(
    db: Database, *, name: str, slug: str, region: str, plan: str
) -> asyncpg.Record:
    row = await db.fetchrow(
        f"INSERT INTO tenants (name, slug, region, plan) VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}",
        name,
        slug,
        region,
        plan,
    )
    assert row is not None
    return row


async def user_id_by_email(db: Database, *, email: str) -> UUID | None:
    user_id: UUID | None = await db.fetchval(
        "SELECT id FROM users WHERE email = lower(btrim($1))", email
    )
    return user_id


async def add_owner(db: Database, *, tenant_id: UUID, user_id: UUID) -> None:
    await db.execute(
        "INSERT INTO tenant_memberships (tenant_id, user_id, role) VALUES ($1, $2, 'OWNER')",
        tenant_id,
        user_id,
    )


async def update(
    db: Database,
    *,
    tenant_id: UUID,
    name: str | None,
    plan: str | None,
    status: str | None,
) -> asyncpg.Record | None:
    return await db.fetchrow(
        "UPDATE tenants SET name = coalesce($2, name), plan = coalesce($3, plan),"
        f" status = coalesce($4, status) WHERE id = $1 RETURNING {COLUMNS}",
        tenant_id,
        name,
        plan,
        status,
    )


async def slug_taken(db: Database, *, slug: str) -> bool:
    return bool(await db.fetchval("SELECT EXISTS (SELECT FROM tenants WHERE slug = $1)", slug))
