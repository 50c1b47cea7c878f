"""The transaction's opening (db/scope.py): its text is memoised per principal, so it must
name that principal and no other, whatever the order in which requests build it."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from iafactory.auth.principal import Principal, Role
from iafactory.db.scope import Isolation, Opening

TENANTS = 40


def principals() -> list[Principal]:
    expires = datetime.now(UTC) + timedelta(hours=1)
    made = []
    for n in range(TENANTS):
        tenant, user = uuid.uuid4(), uuid.uuid4()
        for role in (Role.OWNER, Role.MEMBER):
            made.append(Principal(user, tenant, role, False, expires, f"jti-{n}-{role}", uuid.uuid4()))
    return made


def opening_of(principal: Principal, request_id: str) -> str:
    return Opening.for_principal(
        principal, request_id=request_id, statement_timeout_ms=5000, isolation=Isolation.REPEATABLE_READ
    ).sql()


def assert_names_only(sql: str, principal: Principal, request_id: str, everyone: list[Principal]) -> None:
    assert f"set_config('app.tenant_id', '{principal.tenant_id}', true)" in sql, sql
    assert f"set_config('app.user_id', '{principal.user_id}', true)" in sql, sql
    assert f"set_config('app.request_id', '{request_id}', true)" in sql, sql
    assert f"'{principal.session_id}'::uuid" in sql, sql
    assert f"'{principal.role}'" in sql, sql
    for other in everyone:
        if other.tenant_id != principal.tenant_id:
            assert str(other.tenant_id) not in sql, "another tenant's id in this opening"
        if other.session_id != principal.session_id:
            assert str(other.session_id) not in sql, "another session's id in this opening"


def test_interleaved_threads_each_get_their_own_principals_opening() -> None:
    everyone = principals()
    work = [(p, f"req-{n}-{i}") for i in range(5) for n, p in enumerate(everyone)]

    def build(item: tuple[Principal, str]) -> tuple[Principal, str, str]:
        return item[0], item[1], opening_of(*item)

    with ThreadPoolExecutor(max_workers=8) as pool:
        built = list(pool.map(build, work))
    for principal, request_id, sql in built:
        assert_names_only(sql, principal, request_id, everyone)


async def test_concurrent_requests_each_get_their_own_principals_opening() -> None:
    everyone = principals()

    async def request(principal: Principal, request_id: str) -> tuple[Principal, str, str]:
        await asyncio.sleep(0)  # interleave with the other requests
        return principal, request_id, opening_of(principal, request_id)

    built = await asyncio.gather(*(request(p, f"r{n}") for n, p in enumerate(everyone * 3)))
    for principal, request_id, sql in built:
        assert_names_only(sql, principal, request_id, everyone)


def test_a_request_id_keeps_only_safe_characters() -> None:
    principal = principals()[0]
    sql = opening_of(principal, "abc'; DROP TABLE users; --é")
    assert "set_config('app.request_id', 'abcDROPTABLEusers--', true)" in sql, sql


def test_a_writers_opening_takes_its_tenants_write_lock_after_the_principal_check() -> None:
    owner = principals()[0]
    mutation = Opening.for_principal(owner, request_id="r", statement_timeout_ms=5000, writes=True).sql()
    assert mutation.index("app.assert_principal(") < mutation.index("SELECT app.lock_writes()")
    query = Opening.for_principal(owner, request_id="r", statement_timeout_ms=5000).sql()
    assert "lock_writes" not in query, "readers never queue behind writers"
    anonymous = Opening.for_principal(None, request_id="r", statement_timeout_ms=5000, writes=True).sql()
    assert "lock_writes" not in anonymous, "no tenant, nothing to lock"
