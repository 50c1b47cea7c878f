"""Issue 9, finding 10: defence in depth in the database. The server connects as
iafactory_authenticator, so `RESET ROLE` inside a request transaction lands on a role that can
do nothing (it used to land on the DATABASE_URL superuser); password hashes are readable by
the sign-in's own role only."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import pytest

from iafactory.db import roles
from iafactory.db.scope import DbRole, transaction
from tests.helpers import as_app
from tests.support.graphql import Account
from tests.support.server import JWT_SECRET, Server


@pytest.fixture
def runtime_url(database_url: str, server: Server) -> str:
    """What the running server connects with (it set the password when it started)."""
    return roles.runtime_dsn(database_url, secret=JWT_SECRET)


async def test_reset_role_inside_a_request_transaction_lands_on_a_powerless_role(runtime_url: str) -> None:
    connection = await asyncpg.connect(runtime_url)
    try:
        async with transaction(connection, role=DbRole.APP, request_id="attacker") as db:
            await db.execute("RESET ROLE")
            who = await db.fetchrow(
                "SELECT current_user AS name, r.rolsuper, r.rolbypassrls FROM pg_roles r"
                " WHERE r.rolname = current_user"
            )
            assert dict(who or {}) == {
                "name": "iafactory_authenticator",
                "rolsuper": False,
                "rolbypassrls": False,
            }
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await db.raw.fetch("SELECT id FROM projects")
    finally:
        await connection.close()


@pytest.mark.parametrize("target", ["iafactory_owner", "postgres"])
async def test_the_runtime_login_can_never_become_the_owner_or_a_superuser(
    runtime_url: str, target: str
) -> None:
    connection = await asyncpg.connect(runtime_url)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute(f"SET ROLE {target}")
    finally:
        await connection.close()


async def test_the_app_role_cannot_read_password_hashes(
    database_url: str, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("hashed")
    async with as_app(database_url, tenant_id=alice.tenant_id, user_id=alice.user_id) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await sql.fetch("SELECT * FROM app.login_lookup($1)", alice.email)


async def test_the_credentials_role_reads_a_hash_and_nothing_else(
    database_url: str, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("hashed")
    connection = await asyncpg.connect(database_url)
    try:
        async with transaction(connection, role=DbRole.CREDENTIALS, request_id="sign-in") as db:
            row = await db.fetchrow("SELECT * FROM app.login_lookup($1)", alice.email.upper())
            assert row is not None
            assert str(row["password_hash"]).startswith("$argon2id$")
        async with transaction(connection, role=DbRole.CREDENTIALS, request_id="sign-in") as db:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await db.raw.fetch("SELECT id FROM projects")
    finally:
        await connection.close()


def test_every_replica_derives_the_same_runtime_password_from_the_same_secret() -> None:
    url = "postgresql://postgres:pw@db.internal:6432/iafactory?sslmode=require"
    first, second = roles.runtime_dsn(url, secret="s" * 48), roles.runtime_dsn(url, secret="s" * 48)
    assert first == second
    assert first.startswith("postgresql://iafactory_authenticator:")
    assert first.endswith("@db.internal:6432/iafactory?sslmode=require")
    assert roles.runtime_dsn(url, secret="t" * 48) != first, "another secret, another password"


def test_the_password_reaches_postgresql_as_a_scram_verifier() -> None:
    verifier = roles.scram_verifier("secret", salt=b"0123456789abcdef")
    kind, rest = verifier.split("$", 1)
    assert kind == "SCRAM-SHA-256"
    assert rest.startswith("4096:")
    assert "secret" not in verifier
