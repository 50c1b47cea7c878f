"""The login role the running server connects as: `iafactory_authenticator`, never the
`DATABASE_URL` login (which may be a superuser; it keeps running migrations and the operator's
commands).

The role (migrations 0007) is NOINHERIT and member only of the roles a transaction switches to
(db/scope.py), so resetting the role inside a request lands on one that can do nothing, and no
request can become a superuser or the owner. Its password is derived from the JWT secret, so
every replica and worker agrees on it with nothing more to deploy; `iafactory migrate` (and
`serve`, `worker`) sets it, as a SCRAM verifier (the password itself never reaches a log).
Deployments that provision the login themselves (PgBouncer's user list, a managed database)
set IAFACTORY_RUNTIME_DATABASE_URL instead, used as given.

>>> runtime_dsn("postgresql://postgres:pw@db:5432/iafactory", secret="...")
'postgresql://iafactory_authenticator:5f0c...@db:5432/iafactory'
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

AUTHENTICATOR = "iafactory_authenticator"
SCRAM_ITERATIONS = 4096


def authenticator_password(secret: str) -> str:
    """The same on every process that has the same signing key; tells nothing about the key."""
    return hmac.new(secret.encode(), b"iafactory/authenticator-password/v1", hashlib.sha256).hexdigest()


def runtime_dsn(dsn: str, *, secret: str) -> str:
    """`dsn` with the authenticator's user and password (host, port, database, options kept)."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    credentials = f"{AUTHENTICATOR}:{quote(authenticator_password(secret), safe='')}"
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}"))


def scram_verifier(password: str, *, salt: bytes | None = None) -> str:
    """PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802, RFC 7677)."""
    salt = salt or os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


async def ensure_authenticator_password(dsn: str, *, secret: str) -> str:
    """The runtime DSN, after making sure it can sign in: run as the `DATABASE_URL` login (it
    created the role), after the migrations. The password is set only when signing in with it
    fails (first start, a new secret), so replicas starting together rarely write the catalog."""
    runtime = runtime_dsn(dsn, secret=secret)
    if await _can_sign_in(runtime):
        return runtime
    verifier = scram_verifier(authenticator_password(secret))
    connection = await asyncpg.connect(dsn)
    try:
        for attempt in range(5):
            try:
                # A verifier is base64, digits, '$' and ':' only: safe inside the literal.
                await connection.execute(f"ALTER ROLE {AUTHENTICATOR} WITH LOGIN PASSWORD '{verifier}'")
                break
            except asyncpg.InternalServerError:  # "tuple concurrently updated": another replica
                if attempt == 4:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))
    finally:
        await connection.close()
    return runtime


async def _can_sign_in(dsn: str) -> bool:
    try:
        connection = await asyncpg.connect(dsn, timeout=10)
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError):
        return False
    await connection.close()
    return True
