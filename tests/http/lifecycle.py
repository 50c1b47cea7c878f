"""Helpers for the lifecycle tests: fresh addresses, and time travel for one-time tokens."""

from __future__ import annotations

import uuid

import psycopg


def fresh_email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}@example.test"


def expire(database_url: str, table: str, row_id: str) -> None:
    """Moves a one-time token's expiry to the past (as the superuser: time passing, not an API)."""
    assert table in ("invitations", "password_resets")
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            f"UPDATE {table} SET expires_at = clock_timestamp() - interval '1 second' WHERE id = %s",
            (row_id,),
        )
