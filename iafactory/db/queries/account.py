"""A user's own account: profile, password, password-reset tokens (security-definer
functions of migrations/versions/0009_lifecycle.py for everything that touches secrets)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from iafactory.db.database import Database
from iafactory.db.queries.members import USER_COLUMNS


async def own_user(db: Database, *, user_id: UUID) -> asyncpg.Record | None:
    return await db.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1", user_id)


async def update_full_name(db: Database, *, user_id: UUID, full_name: str | None) -> asyncpg.Record:
    """Row-level security lets a user update its own row only (and only this column)."""
    row = await db.fetchrow(
        f"UPDATE users SET full_name = $2 WHERE id = $1 RETURNING {USER_COLUMNS}", user_id, full_name
    )
    assert row is not None
    return row


async def change_password(db: Database, *, password_hash: str) -> None:
    """The current user's new password; every one of its sessions ends (the caller starts
    the new one in the same transaction)."""
    await db.execute("SELECT app.change_password($1)", password_hash)


async def create_password_reset(
    db: Database, *, email: str, token_hash: bytes, expires_at: datetime
) -> UUID | None:
    """The account's id when the address has one (and a reset token was stored), else None."""
    user_id: UUID | None = await db.fetchval(
        "SELECT app.create_password_reset($1, $2, $3)", email, token_hash, expires_at
    )
    return user_id


async def password_reset_email(db: Database, *, token_hash: bytes) -> str | None:
    email: str | None = await db.fetchval("SELECT app.password_reset_email($1)", token_hash)
    return email


async def reset_password(db: Database, *, token_hash: bytes, password_hash: str) -> tuple[UUID, bool] | None:
    """(user id, is super-admin) once the password is set and every session ended; None for
    a token that is unknown, used or expired."""
    row = await db.fetchrow("SELECT * FROM app.reset_password($1, $2)", token_hash, password_hash)
    return (row["user_id"], bool(row["is_superadmin"])) if row else None
