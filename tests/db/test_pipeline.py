"""Pipelined reads (iafactory/db/pipeline.py): the opening and the read in one round trip.

What must hold, as for a transaction of db/scope.py: the read runs as the app role, bound to
its caller's tenant and user, after the database checked the caller; nothing of it outlives
the round trip on the pooled connection; a refused caller or a failing statement gets an
error and leaves the connection as good as new; concurrent reads of different tenants never
see each other's settings."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from iafactory.auth.principal import Principal, Role
from iafactory.db import pipeline, roles
from iafactory.db.pipeline import PipelinedReads, PipelineFailed, ReadsUnavailable
from iafactory.db.scope import Isolation, Opening
from tests.support.graphql import Account
from tests.support.server import JWT_SECRET, Server

WHO = (
    "SELECT concat_ws(' ', current_user, current_setting('app.tenant_id', true),"
    " current_setting('app.user_id', true), current_setting('app.request_id', true), $1::text)"
)


@pytest.fixture
async def reads(database_url: str, server: Server) -> AsyncIterator[PipelinedReads]:
    """One connection, so that every read reuses what the one before left behind."""
    started = await PipelinedReads.start(
        roles.runtime_dsn(database_url, secret=JWT_SECRET), size=1, idle_in_transaction_timeout_ms=60_000
    )
    assert started is not None, "the runtime role can connect"
    yield started
    await started.close()


def principal_of(account: Account, role: Role = Role.OWNER) -> Principal:
    return Principal(
        user_id=uuid.UUID(account.user_id),
        tenant_id=uuid.UUID(account.tenant_id),
        role=role,
        superadmin=False,
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        token_id="pipeline-test",
        issued_at=datetime.now(UTC) - timedelta(seconds=5),
    )


def opening_for(principal: Principal, request_id: str = "pipelined-1") -> Opening:
    return Opening.for_principal(
        principal, request_id=request_id, statement_timeout_ms=5000, isolation=Isolation.REPEATABLE_READ
    )


async def session_state(reads: PipelinedReads) -> str:
    """What the pooled connection's session looks like between reads."""
    connection = await reads._connections.take()
    try:
        cursor = await connection.execute(
            "SELECT concat_ws(' ', current_user,"
            " coalesce(nullif(current_setting('app.tenant_id', true), ''), '-'),"
            " current_setting('statement_timeout'))"
        )
        row = await cursor.fetchone()
    finally:
        await reads._connections.give_back(connection)
    assert row is not None
    return str(row[0])


async def test_a_read_runs_as_the_app_role_bound_to_its_caller_and_leaves_nothing_behind(
    reads: PipelinedReads, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("alice")
    seen = await reads.read(opening_for(principal_of(alice)), WHO, ["ok"])
    assert seen == f"iafactory_app {alice.tenant_id} {alice.user_id} pipelined-1 ok".encode()
    assert await session_state(reads) == "iafactory_authenticator - 0", "settings ended with the round trip"


async def test_a_caller_the_database_refuses_reads_nothing_and_the_connection_stays_usable(
    reads: PipelinedReads, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("alice")
    as_a_member = principal_of(alice, Role.MEMBER)  # the token says MEMBER, the database OWNER
    with pytest.raises(PipelineFailed) as refused:
        await reads.read(opening_for(as_a_member), WHO, ["never"])
    assert refused.value.sqlstate == "IA401"
    assert await reads.read(opening_for(principal_of(alice)), WHO, ["after"]) is not None
    assert await session_state(reads) == "iafactory_authenticator - 0"


async def test_a_failing_statement_rolls_back_and_its_parsed_form_is_reused(
    reads: PipelinedReads, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("alice")
    opening = opening_for(principal_of(alice))
    divide = "SELECT (100 / $1::int4)::text"
    with pytest.raises(PipelineFailed) as failed:
        await reads.read(opening, divide, [0])
    assert failed.value.sqlstate == "22012"
    assert await reads.read(opening, divide, [4]) == b"25"  # parsed once, executed again
    assert await session_state(reads) == "iafactory_authenticator - 0"


async def test_a_write_inside_a_read_is_refused_and_kept_nowhere(
    reads: PipelinedReads, new_tenant: Callable[..., Account]
) -> None:
    """The read's statement is what the compiler wrote; were it ever to write, the implicit
    transaction would still end with the round trip, and a failure would undo it."""
    alice = new_tenant("alice")
    opening = opening_for(principal_of(alice))
    create = (
        "WITH made AS (INSERT INTO projects (tenant_id, name, created_by) VALUES ($1::uuid, 'x', $2::uuid)"
        " RETURNING id) SELECT (SELECT count(*) FROM made)::text || (1 / 0)::text"
    )
    with pytest.raises(PipelineFailed):
        await reads.read(opening, create, [alice.tenant_id, alice.user_id])
    count = "SELECT count(*)::text FROM projects WHERE name = 'x' AND tenant_id = $1::uuid"
    assert await reads.read(opening, count, [alice.tenant_id]) == b"0"


async def test_concurrent_reads_of_two_tenants_each_see_only_their_own(
    database_url: str, server: Server, new_tenant: Callable[..., Account]
) -> None:
    alice, bob = new_tenant("alice"), new_tenant("bob")
    shared = await PipelinedReads.start(
        roles.runtime_dsn(database_url, secret=JWT_SECRET), size=3, idle_in_transaction_timeout_ms=60_000
    )
    assert shared is not None
    try:

        async def read(n: int) -> tuple[Account, bytes | None]:
            account = (alice, bob)[n % 2]
            opening = opening_for(principal_of(account), request_id=f"r{n}")
            return account, await shared.read(opening, WHO, [str(n)])

        answers = await asyncio.gather(*(read(n) for n in range(60)))
    finally:
        await shared.close()
    for n, (account, seen) in enumerate(answers):
        assert seen == f"iafactory_app {account.tenant_id} {account.user_id} r{n} {n}".encode()


async def test_past_its_bound_a_connection_closes_its_oldest_statements_and_parses_them_again(
    reads: PipelinedReads, new_tenant: Callable[..., Account], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "MAX_PREPARED", 3)  # the opening's two statements and one read
    opening = opening_for(principal_of(new_tenant("alice")))
    for n in range(4):
        assert await reads.read(opening, f"SELECT ($1::int4 + {n})::text", [1]) == str(1 + n).encode()
    assert await reads.read(opening, "SELECT ($1::int4 + 0)::text", [1]) == b"1"


def test_only_a_tenant_members_read_is_pipelined() -> None:
    member = Principal(uuid.uuid4(), uuid.uuid4(), Role.MEMBER, False, datetime.now(UTC), "jti")
    with pytest.raises(ValueError, match="tenant member's read"):
        pipeline.pipeline_opening(
            Opening.for_principal(member, request_id="w", statement_timeout_ms=5000, writes=True)
        )
    with pytest.raises(ValueError, match="tenant member's read"):
        pipeline.pipeline_opening(Opening.for_principal(None, request_id="a", statement_timeout_ms=5000))


async def test_a_connection_that_died_while_idle_fails_one_read_and_is_replaced(
    reads: PipelinedReads, new_tenant: Callable[..., Account], database_url: str
) -> None:
    """PostgreSQL ended the idle connection (a restart, an operator): the next read fails at
    once with ReadsUnavailable (the endpoint then lets the general path answer), the dead
    connection is not lent again, and the read after it works on a new one."""
    opening = opening_for(principal_of(new_tenant("alice")))
    assert await reads.read(opening, WHO, ["before"]) is not None
    (idle,) = reads._connections._idle  # the fixture's one connection
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as admin:
        await admin.execute("SELECT pg_terminate_backend(%s, 5000)", [idle.pgconn.backend_pid])
    with pytest.raises(ReadsUnavailable):
        await reads.read(opening, WHO, ["during"])
    assert await reads.read(opening, WHO, ["after"]) is not None
