"""Tenant rows: members read their own through row-level security; the super-admin queries
run inside `TenantScope.elevated()` (BYPASSRLS) or, from the shell, as the owner role, and are
the only way to see every tenant. A tenant is created in one place: `create_with_owner`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from iafactory.db.database import Database
from iafactory.errors import Conflict, NotFound

COLUMNS = "id, name, slug, region, plan, status, created_at"


async def by_ids(db: Database, *, ids: list[UUID]) -> list[asyncpg.Record]:
    return await db.fetch(f"SELECT {COLUMNS} FROM tenants WHERE id = ANY($1::uuid[])", ids)


async def plan_limits(db: Database, *, tenant_id: UUID) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT p.* FROM tenants t JOIN plans p USING (plan) WHERE t.id = $1", tenant_id)


async def page_all(db: Database, *, first: int, after: tuple[datetime, UUID] | None) -> list[asyncpg.Record]:
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


async def create_with_owner(
    db: Database, *, name: str, slug: str, region: str, plan: str, owner_email: str | None
) -> asyncpg.Record:
    """A new tenant and, when `owner_email` names an existing user, its OWNER.

    CONFLICT when the slug is taken; NOT_FOUND when no user has that email (nothing is
    written then: the caller's transaction rolls back).
    """
    if await db.fetchval("SELECT EXISTS (SELECT FROM tenants WHERE slug = $1)", slug):
        raise Conflict("This tenant slug is taken.")
    row = await db.fetchrow(
        f"INSERT INTO tenants (name, slug, region, plan) VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}",
        name,
        slug,
        region,
        plan,
    )
    assert row is not None
    if owner_email is not None:
        owner: UUID | None = await db.fetchval(
            "SELECT id FROM users WHERE email = lower(btrim($1))", owner_email
        )
        if owner is None:
            raise NotFound("No user with this email.")
        await db.execute(
            "INSERT INTO tenant_memberships (tenant_id, user_id, role) VALUES ($1, $2, 'OWNER')",
            row["id"],
            owner,
        )
    return row


async def summaries(db: Database) -> list[asyncpg.Record]:
    """Every tenant with its member count, oldest first (operators)."""
    return await db.fetch(
        "SELECT t.id, t.name, t.slug, t.region, t.plan, t.status,"
        " (SELECT count(*) FROM tenant_memberships m WHERE m.tenant_id = t.id) AS members"
        " FROM tenants t ORDER BY t.created_at, t.slug"
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
