"""Operator actions from the shell (`iafactory superadmin|tenant ...`, the demo seed).

These run as the login role of DATABASE_URL, the operator's own identity, not through the
request path: they are administration of the whole database, not a tenant's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from iafactory.auth import passwords


@dataclass(frozen=True, slots=True)
class TenantSummary:
    id: UUID
    name: str
    slug: str
    region: str
    plan: str
    status: str
    members: int


class AdminError(Exception):
    """A refusal with a one-line reason for stderr."""


async def upsert_superadmin(connection: asyncpg.Connection, *, email: str, password: str) -> UUID:
    email = email.strip().lower()
    passwords.check_policy(password, email=email)
    user_id: UUID = await connection.fetchval(
        "INSERT INTO users (email, password_hash, is_superadmin) VALUES ($1, $2, true)"
        " ON CONFLICT (email) DO UPDATE SET is_superadmin = true, password_hash = EXCLUDED.password_hash"
        " RETURNING id",
        email,
        passwords.hash_password(password),
    )
    return user_id


async def list_tenants(connection: asyncpg.Connection) -> list[TenantSummary]:
    rows = await connection.fetch(
        "SELECT t.id, t.name, t.slug, t.region, t.plan, t.status,"
        " (SELECT count(*) FROM tenant_memberships m WHERE m.tenant_id = t.id) AS members"
        " FROM tenants t ORDER BY t.created_at, t.slug"
    )
    return [TenantSummary(**dict(row)) for row in rows]


async def create_tenant(
    connection: asyncpg.Connection,
    *,
    name: str,
    slug: str,
    region: str = "DZ",
    plan: str = "FREE",
    owner_email: str | None = None,
) -> UUID:
    async with connection.transaction():
        try:
            tenant_id: UUID = await connection.fetchval(
                "INSERT INTO tenants (name, slug, region, plan) VALUES ($1, $2, $3, $4) RETURNING id",
                name,
                slug,
                region,
                plan,
            )
        except asyncpg.UniqueViolationError as error:
            raise AdminError(f"the slug {slug!r} is taken") from error
        except asyncpg.CheckViolationError as error:
            raise AdminError(f"invalid tenant: {error.constraint_name}") from error
        if owner_email is not None:
            owner = await connection.fetchval(
                "SELECT id FROM users WHERE email = lower(btrim($1))", owner_email
            )
            if owner is None:
                raise AdminError(f"no user with email {owner_email!r}")
            await connection.execute(
                "INSERT INTO tenant_memberships (tenant_id, user_id, role) VALUES ($1, $2, 'OWNER')",
                tenant_id,
                owner,
            )
        await connection.execute(
            "INSERT INTO audit_log (tenant_id, action, target_type, target_id, request_id)"
            " VALUES ($1, 'cli.create_tenant', 'Tenant', $2, 'cli')",
            tenant_id,
            str(tenant_id),  # $1 again as ::text would be "inconsistent types deduced for $1"
        )
    return tenant_id


async def set_tenant_status(connection: asyncpg.Connection, *, slug: str, status: str) -> None:
    async with connection.transaction():
        tenant_id = await connection.fetchval(
            "UPDATE tenants SET status = $2 WHERE slug = $1 RETURNING id", slug, status
        )
        if tenant_id is None:
            raise AdminError(f"no tenant with slug {slug!r}")
        await connection.execute(
            "INSERT INTO audit_log (tenant_id, action, target_type, target_id, request_id)"
            " VALUES ($1, $2, 'Tenant', $3, 'cli')",
            tenant_id,
            f"cli.{status.lower()}",
            str(tenant_id),
        )


async def seed_demo(
    connection: asyncpg.Connection, *, email: str, password: str
) -> bool:
    """The demo tenant and its OWNER, on an empty database. False when tenants exist."""
    async with connection.transaction():
        if await connection.fetchval("SELECT EXISTS (SELECT FROM tenants)"):
            return False
        user_id = await connection.fetchval(
            "INSERT INTO users (email, password_hash, full_name) VALUES ($1, $2, 'Demo Admin')"
            " ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash RETURNING id",
            email,
            passwords.hash_password(password),
        )
        tenant_id = await connection.fetchval(
            "INSERT INTO tenants (name, slug, region, plan)"
            " VALUES ('IAFactory Demo', 'iafactory-demo', 'DZ', 'PRO') RETURNING id"
        )
        await connection.execute(
            "INSERT INTO tenant_memberships (tenant_id, user_id, role) VALUES ($1, $2, 'OWNER')",
            tenant_id,
            user_id,
        )
    return True
