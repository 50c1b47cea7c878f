"""Invitations of the active tenant (row-level security), and the invitee's side, reached by
the token alone through security-definer functions (migrations/versions/0009_lifecycle.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from iafactory.db.database import Database

COLUMNS = "tenant_id, id, email, role, invited_by, created_at, expires_at, accepted_at, revoked_at"
# The status a row shows, computed (expiry is a matter of time, not of a write).
STATUS = (
    "CASE WHEN accepted_at IS NOT NULL THEN 'ACCEPTED' WHEN revoked_at IS NOT NULL THEN 'REVOKED'"
    " WHEN expires_at <= clock_timestamp() THEN 'EXPIRED' ELSE 'PENDING' END"
)


@dataclass(frozen=True, slots=True)
class PendingInvitation:
    tenant_id: UUID
    id: UUID
    email: str
    role: str
    tenant_status: str
    has_account: bool


async def create(
    db: Database,
    *,
    tenant_id: UUID,
    email: str,
    role: str,
    token_hash: bytes,
    invited_by: UUID,
    expires_at: datetime,
) -> asyncpg.Record:
    """A new pending invitation; earlier pending ones for the same address are revoked (the
    newest link is the one that works)."""
    await db.execute(
        "UPDATE invitations SET revoked_at = clock_timestamp()"
        " WHERE tenant_id = $1 AND email = app.normalize_email($2)"
        " AND accepted_at IS NULL AND revoked_at IS NULL",
        tenant_id,
        email,
    )
    row = await db.fetchrow(
        "INSERT INTO invitations (tenant_id, email, role, token_hash, invited_by, expires_at)"
        f" VALUES ($1, app.normalize_email($2), $3, $4, $5, $6) RETURNING {COLUMNS}, {STATUS} AS status",
        tenant_id,
        email,
        role,
        token_hash,
        invited_by,
        expires_at,
    )
    assert row is not None
    return row


async def is_member(db: Database, *, tenant_id: UUID, email: str) -> bool:
    """Whether the address belongs to a member of the active tenant (whom it already sees)."""
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT FROM tenant_memberships m JOIN users u ON u.id = m.user_id"
            " WHERE m.tenant_id = $1 AND u.email = app.normalize_email($2))",
            tenant_id,
            email,
        )
    )


async def page(
    db: Database, *, tenant_id: UUID, status: str | None, first: int, after: tuple[datetime, UUID] | None
) -> list[asyncpg.Record]:
    """Newest first, one row more than asked."""
    return await db.fetch(
        f"SELECT * FROM (SELECT {COLUMNS}, {STATUS} AS status FROM invitations WHERE tenant_id = $1"
        "   AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))) i"
        " WHERE $5::text IS NULL OR status = $5 ORDER BY created_at DESC, id DESC LIMIT $2",
        tenant_id,
        first + 1,
        after[0] if after else None,
        after[1] if after else None,
        status,
    )


async def count(db: Database, *, tenant_id: UUID, status: str | None) -> int:
    return int(
        await db.fetchval(
            f"SELECT count(*) FROM invitations WHERE tenant_id = $1 AND ($2::text IS NULL OR {STATUS} = $2)",
            tenant_id,
            status,
        )
    )


async def revoke(db: Database, *, tenant_id: UUID, invitation_id: UUID) -> asyncpg.Record | None:
    """Revokes a pending (or expired) invitation; returns the row as it now is, or None."""
    await db.execute(
        "UPDATE invitations SET revoked_at = clock_timestamp()"
        " WHERE tenant_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        tenant_id,
        invitation_id,
    )
    return await db.fetchrow(
        f"SELECT {COLUMNS}, {STATUS} AS status FROM invitations WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        invitation_id,
    )


async def pending(db: Database, *, token_hash: bytes) -> PendingInvitation | None:
    row = await db.fetchrow("SELECT * FROM app.pending_invitation($1)", token_hash)
    return PendingInvitation(**dict(row)) if row else None


async def accept_as_new_user(
    db: Database, *, token_hash: bytes, password_hash: str, full_name: str | None
) -> tuple[UUID, UUID, str] | None:
    """Creates the invited address's account and joins it: (user, tenant, role)."""
    row = await db.fetchrow(
        "SELECT * FROM app.accept_invitation_as_new_user($1, $2, $3)", token_hash, password_hash, full_name
    )
    return (row["user_id"], row["tenant_id"], row["role"]) if row else None


async def accept(db: Database, *, token_hash: bytes) -> tuple[UUID, str] | None:
    """Joins the signed-in user (app.user_id) to the invitation's tenant: (tenant, role)."""
    row = await db.fetchrow("SELECT * FROM app.accept_invitation($1)", token_hash)
    return (row["tenant_id"], row["role"]) if row else None
