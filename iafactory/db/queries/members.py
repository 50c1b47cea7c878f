"""Users and memberships as the active tenant sees them (row-level security narrows both)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from iafactory.db.database import Database

USER_COLUMNS = "id, email, full_name, created_at"


async def users_by_ids(db: Database, *, ids: list[UUID]) -> list[asyncpg.Record]:
    return await db.fetch(f"SELECT {USER_COLUMNS} FROM users WHERE id = ANY($1::uuid[])", ids)


async def members(db: Database, *, tenant_id: UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT user_id, role, created_at AS joined_at FROM tenant_memberships"
        " WHERE tenant_id = $1 ORDER BY created_at, user_id",
        tenant_id,
    )


async def memberships_of_users(db: Database, *, user_ids: list[UUID]) -> list[asyncpg.Record]:
    """Memberships of many users at once, oldest first; RLS shows a user its own rows in
    every tenant and the active tenant's rows of others."""
    return await db.fetch(
        "SELECT user_id, tenant_id, role FROM tenant_memberships WHERE user_id = ANY($1::uuid[])"
        " ORDER BY created_at, tenant_id",
        user_ids,
    )


async def membership(db: Database, *, tenant_id: UUID, user_id: UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT user_id, role, created_at AS joined_at FROM tenant_memberships"
        " WHERE tenant_id = $1 AND user_id = $2",
        tenant_id,
        user_id,
    )


async def add_by_email(db: Database, *, email: str, role: str) -> UUID:
    user_id: UUID = await db.fetchval("SELECT app.add_member_by_email($1, $2)", email, role)
    return user_id


async def remove(db: Database, *, tenant_id: UUID, user_id: UUID) -> str | None:
    """Deletes the membership; returns the role it had, or None when there was none."""
    role: str | None = await db.fetchval(
        "DELETE FROM tenant_memberships WHERE tenant_id = $1 AND user_id = $2 RETURNING role",
        tenant_id,
        user_id,
    )
    return role


async def count_owners(db: Database, *, tenant_id: UUID) -> int:
    """Locks the OWNER rows until the transaction ends: two owners removing each other at
    once would otherwise both count two and leave the tenant without an OWNER."""
    return int(
        await db.fetchval(
            "SELECT count(*) FROM (SELECT FROM tenant_memberships"
            " WHERE tenant_id = $1 AND role = 'OWNER' FOR UPDATE) AS owners",
            tenant_id,
        )
    )
