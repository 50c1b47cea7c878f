"""Sign-in data: everything here runs before a tenant is known, through security-definer
functions (migrations/CONVENTIONS.md) that expose one narrow fact each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from iafactory.db.database import Database


@dataclass(frozen=True, slots=True)
class LoginRecord:
    user_id: UUID
    password_hash: str | None
    is_superadmin: bool


@dataclass(frozen=True, slots=True)
class MembershipRecord:
    tenant_id: UUID
    slug: str
    role: str
    status: str
    entered_at: datetime | None = None  # when the user last signed in to or switched to it


@dataclass(frozen=True, slots=True)
class Rotation:
    outcome: str  # ok | invalid | reused | expired | suspended
    user_id: UUID | None
    tenant_id: UUID | None
    role: str | None
    is_superadmin: bool
    family_id: UUID | None = None  # the session: new access tokens carry it as `sid`


@dataclass(frozen=True, slots=True)
class Credentials:
    email: str  # as the database normalises it (app.normalize_email): sign-in limits key on it
    record: LoginRecord | None


async def credentials(db: Database, *, email: str) -> Credentials:
    """The account an email signs in to, and its password hash. Only the credentials role
    may call this (db/scope.py DbRole.CREDENTIALS), in a transaction of its own."""
    row = await db.fetchrow(
        "SELECT n.email, l.user_id, l.password_hash, l.is_superadmin"
        " FROM (SELECT app.normalize_email($1) AS email) n LEFT JOIN LATERAL app.login_lookup($1) l ON true",
        email,
    )
    assert row is not None
    record = None
    if row["user_id"] is not None:
        record = LoginRecord(row["user_id"], row["password_hash"], row["is_superadmin"])
    return Credentials(row["email"], record)


async def user_memberships(db: Database, *, user_id: UUID) -> list[MembershipRecord]:
    rows = await db.fetch("SELECT * FROM app.user_memberships($1)", user_id)
    return [MembershipRecord(**dict(row)) for row in rows]


async def register(
    db: Database,
    *,
    email: str,
    password_hash: str,
    full_name: str | None,
    tenant_name: str,
    tenant_slug: str,
    region: str,
) -> tuple[UUID, UUID]:
    row = await db.fetchrow(
        "SELECT * FROM app.register($1, $2, $3, $4, $5, $6)",
        email,
        password_hash,
        full_name,
        tenant_name,
        tenant_slug,
        region,
    )
    assert row is not None
    return row["user_id"], row["tenant_id"]


async def issue_refresh_token(
    db: Database,
    *,
    user_id: UUID,
    tenant_id: UUID | None,
    token_hash: bytes,
    family_id: UUID,
    expires_at: datetime,
) -> None:
    await db.execute(
        "SELECT app.issue_refresh_token($1, $2, $3, $4, $5)",
        user_id,
        tenant_id,
        token_hash,
        family_id,
        expires_at,
    )


async def rotate_refresh_token(
    db: Database, *, token_hash: bytes, new_hash: bytes, expires_at: datetime
) -> Rotation:
    row = await db.fetchrow(
        "SELECT * FROM app.rotate_refresh_token($1, $2, $3)", token_hash, new_hash, expires_at
    )
    assert row is not None
    return Rotation(
        outcome=row["outcome"],
        user_id=row["user_id"],
        tenant_id=row["tenant_id"],
        role=row["role"],
        is_superadmin=bool(row["is_superadmin"]),
        family_id=row["family_id"],
    )


async def revoke_refresh_family(db: Database, *, token_hash: bytes) -> bool:
    return bool(await db.fetchval("SELECT app.revoke_refresh_family($1)", token_hash))


async def mark_entered(db: Database, *, tenant_id: UUID, user_id: UUID) -> None:
    """The tenant the user signed in to or switched to: the default of their next sign-in."""
    await db.execute(
        "UPDATE tenant_memberships SET last_entered_at = clock_timestamp()"
        " WHERE tenant_id = $1 AND user_id = $2",
        tenant_id,
        user_id,
    )
