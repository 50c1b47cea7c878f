"""Operator actions from the shell (`iafactory superadmin|tenant ...`, the demo seed).

These run on a connection of the login role of DATABASE_URL, the operator's own identity,
as the owner role: they administer the whole database, not a tenant's session. A tenant is
created by the same statements as a super-admin's `createTenant` (db/queries/tenants.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from iafactory.auth import passwords
from iafactory.auth.tokens import hash_secret, new_secret
from iafactory.db.queries import account as account_queries
from iafactory.db.queries import governance as governance_queries
from iafactory.db.queries import tenants as tenant_queries
from iafactory.db.scope import DbRole, transaction
from iafactory.errors import AppError

CLI = "cli"


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
    email = email.strip()
    passwords.check_policy(password, email=email)
    async with transaction(connection, role=DbRole.OWNER, request_id=CLI) as db:
        user_id: UUID = await db.fetchval(
            "INSERT INTO users (email, password_hash, is_superadmin)"
            " VALUES (app.normalize_email($1), $2, true)"
            " ON CONFLICT (email) DO UPDATE SET is_superadmin = true, password_hash = EXCLUDED.password_hash"
            " RETURNING id",
            email,
            passwords.hash_password(password),
        )
    return user_id


async def list_tenants(connection: asyncpg.Connection) -> list[TenantSummary]:
    async with transaction(connection, role=DbRole.OWNER, request_id=CLI) as db:
        rows = await tenant_queries.summaries(db)
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
    try:
        async with transaction(connection, role=DbRole.OWNER, request_id=CLI) as db:
            row = await tenant_queries.create_with_owner(
                db, name=name, slug=slug, region=region, plan=plan, owner_email=owner_email
            )
            await governance_queries.operator_audit(db, tenant_id=row["id"], action="cli.create_tenant")
    except AppError as error:
        raise AdminError(error.message) from error
    tenant_id: UUID = row["id"]
    return tenant_id


async def set_tenant_status(connection: asyncpg.Connection, *, slug: str, status: str) -> None:
    async with transaction(connection, role=DbRole.OWNER, request_id=CLI) as db:
        tenant_id = await governance_queries.tenant_id_by_slug(db, slug=slug)
        if tenant_id is None:
            raise AdminError(f"no tenant with slug {slug!r}")
        await tenant_queries.update(db, tenant_id=tenant_id, name=None, plan=None, status=status)
        await governance_queries.operator_audit(db, tenant_id=tenant_id, action=f"cli.{status.lower()}")


async def seed_demo(connection: asyncpg.Connection, *, email: str, password: str) -> bool:
    """The demo tenant and its OWNER, on an empty database. False when tenants exist."""
    async with transaction(connection, role=DbRole.OWNER, request_id=CLI) as db:
        if await db.fetchval("SELECT EXISTS (SELECT FROM tenants)"):
            return False
        await db.execute(
            "INSERT INTO users (email, password_hash, full_name) VALUES ($1, $2, 'Demo Admin')"
            " ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash",
            email,
            passwords.hash_password(password),
        )
        await tenant_queries.create_with_owner(
            db, name="IAFactory Demo", slug="iafactory-demo", region="DZ", plan="PRO", owner_email=email
        )
    return True


async def password_reset_token(connection: asyncpg.Connection, *, email: str, ttl_seconds: int) -> str:
    """A one-time password-reset token for the account of `email` (`iafactory user
    reset-link`): the same kind of token that requestPasswordReset mails."""
    token = new_secret()
    async with transaction(connection, role=DbRole.APP, request_id=f"{CLI}-reset-link") as db:
        user_id = await account_queries.create_password_reset(
            db,
            email=email,
            token_hash=hash_secret(token),
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl_seconds),
        )
    if user_id is None:
        raise AdminError(f"no user with the email {email.strip().lower()}")
    return token
