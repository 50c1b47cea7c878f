"""Small helpers shared by the core's tests: acting as the app role in SQL, forging tokens,
running the CLI, and comparing errors."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from click.testing import CliRunner, Result
from joserfc import jwt
from joserfc.jwk import OctKey

from tests.support.database import fetch_as_superuser, superuser
from tests.support.graphql import PASSWORD, Account, GraphQLClient
from tests.support.server import JWT_SECRET, REPO_ROOT

ISSUER = "iafactory"
AUDIENCE = "iafactory-api"


# --- SQL as the app role -------------------------------------------------------------------


@asynccontextmanager
async def as_app(
    database_url: str, *, tenant_id: str | None = None, user_id: str | None = None
) -> AsyncIterator[asyncpg.Connection]:
    """A transaction that acts exactly like a request: `SET LOCAL ROLE iafactory_app` and the
    identity as transaction-local settings (None leaves a setting unset). Always rolled back.

    >>> async with as_app(url, tenant_id=alice.tenant_id) as sql:
    ...     await sql.fetch("SELECT * FROM projects")
    """
    async with superuser(database_url) as connection:
        transaction = connection.transaction()
        await transaction.start()
        try:
            await connection.execute("SET LOCAL ROLE iafactory_app")
            if tenant_id is not None:
                await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            if user_id is not None:
                await connection.execute("SELECT set_config('app.user_id', $1, true)", user_id)
            yield connection
        finally:
            await transaction.rollback()


CATALOG_SNAPSHOT = """
SELECT (SELECT version_num FROM alembic_version) AS revision,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('public', 'app')) AS relations,
       (SELECT count(*) FROM pg_policy) AS policies,
       (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname IN ('public', 'app')) AS functions,
       (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal) AS triggers,
       (SELECT count(*) FROM plans) AS plans
"""


async def catalog_snapshot(database_url: str) -> dict[str, Any]:
    """What a migration run would change: revision, object counts, the seeded plans."""
    return dict((await fetch_as_superuser(database_url, CATALOG_SNAPSHOT))[0])


# --- tokens --------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a JWS, unverified (for inspecting what the server issued)."""
    claims: dict[str, Any] = json.loads(unb64(token.split(".")[1]))
    return claims


def token_header(token: str) -> dict[str, Any]:
    header: dict[str, Any] = json.loads(unb64(token.split(".")[0]))
    return header


def claims_of(account: Account, **overrides: Any) -> dict[str, Any]:
    """Claims like the server's own for this account; a value of None removes the claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": account.user_id,
        "tenant_id": account.tenant_id,
        "role": "OWNER",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def sign(claims: dict[str, Any], *, secret: str = JWT_SECRET, alg: str = "HS256") -> str:
    """A token signed with joserfc (the test's own copy of the server's secret by default)."""
    return jwt.encode({"alg": alg, "typ": "JWT"}, claims, OctKey.import_key(secret), algorithms=[alg])


def unsigned(claims: dict[str, Any]) -> str:
    """An `alg: none` token: header and payload, empty signature."""
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


# --- accounts and errors ---------------------------------------------------------------------


def login(
    client: GraphQLClient, email: str, password: str = PASSWORD, *, tenant_slug: str | None = None
) -> Any:
    """The login payload (accessToken, refreshToken, viewer.isSuperadmin); must succeed."""
    return client.data(
        """mutation Login($input: LoginInput!) {
             login(input: $input) { accessToken refreshToken viewer { isSuperadmin } }
           }""",
        {"input": {"email": email, "password": password, "tenantSlug": tenant_slug}},
    )["login"]


def add_member(client: GraphQLClient, owner: Account, member: Account, role: str = "MEMBER") -> None:
    client.data(
        "mutation($email: String!, $role: MemberRole) { addMember(email: $email, role: $role) { role } }",
        {"email": member.email, "role": role},
        token=owner.access_token,
    )


def token_in(client: GraphQLClient, account: Account, tenant: Account) -> str:
    """An access token of `account` inside `tenant`'s tenant (it must be a member there)."""
    return str(login(client, account.email, tenant_slug=tenant.tenant_slug)["accessToken"])


def without_request_id(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The errors of a response with their requestId removed, for exact comparison."""
    errors = []
    for error in body.get("errors") or []:
        extensions = {k: v for k, v in error.get("extensions", {}).items() if k != "requestId"}
        errors.append({**error, "extensions": extensions})
    return errors


def only_code(body: dict[str, Any]) -> str:
    """The single error code of a response that must hold exactly one error."""
    errors = body.get("errors") or []
    assert len(errors) == 1, f"expected exactly one error, got {body}"
    return str(errors[0]["extensions"]["code"])


# --- the CLI -------------------------------------------------------------------------------


# The commands' data directory: a temporary one, never the user's (platformdirs' default).
CLI_DATA_DIR = tempfile.TemporaryDirectory(prefix="iafactory-cli-")


def cli(*args: str, database_url: str | None, **env: str) -> subprocess.CompletedProcess[str]:
    """Runs `iafactory ARGS` in its own process against `database_url`."""
    environment = {**os.environ, "IAFACTORY_DATA_DIR": CLI_DATA_DIR.name, **env}
    environment.pop("DATABASE_URL", None)
    if database_url is not None:
        environment["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "iafactory.cli", *args],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cli_inline(*args: str, database_url: str, catch: bool = False, **env: str) -> Result:
    """The same `iafactory` command run in this process (click's runner): no interpreter
    start-up, for the many calls whose exit status and output are all that matter. With
    `catch`, an unhandled exception (a traceback, in a real process) lands in `.exception`."""
    from iafactory.cli import main

    return CliRunner().invoke(
        main,
        list(args),
        env={"DATABASE_URL": database_url, "IAFACTORY_DATA_DIR": CLI_DATA_DIR.name, **env},
        catch_exceptions=catch,
    )


def create_superadmin(client: GraphQLClient, database_url: str) -> str:
    """A super-admin made with `iafactory superadmin create`, signed in: its access token."""
    email = f"root-{uuid.uuid4().hex[:10]}@example.test"
    done = cli_inline(
        "superadmin", "create", "--email", email, "--password", PASSWORD, database_url=database_url
    )
    assert done.exit_code == 0, done.output
    payload = login(client, email)
    assert payload["viewer"]["isSuperadmin"] is True, payload
    return str(payload["accessToken"])
