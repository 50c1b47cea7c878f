"""Tenant isolation proved in SQL, below the API: each test becomes the app role inside a
transaction exactly as a request does (`SET LOCAL ROLE iafactory_app` plus transaction-local
settings) and rolls back. The tenant tables are read from the catalog (every table with a
tenant_id column), so tables that later revisions add are covered without editing this file.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from tests.helpers import as_app
from tests.support.database import superuser

TENANT_TABLES = """
SELECT c.oid::regclass::text AS name,
       has_any_column_privilege('iafactory_app', c.oid, 'SELECT') AS readable
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
 ORDER BY 1
"""


@dataclass(frozen=True)
class World:
    """Two tenants seeded as superuser. `shared` is a member of both; `alice` only of A,
    `bob` only of B."""

    tenant_a: str
    tenant_b: str
    alice: str
    bob: str
    shared: str
    project_a: str
    project_b: str
    lonely_project_a: str  # a project without documents (no foreign key gets in the way)
    document_a: str
    document_b: str


async def _seed_tenant(
    sql: asyncpg.Connection, label: str, owner: str, shared: str
) -> tuple[str, str, str, str]:
    suffix = uuid.uuid4().hex[:8]
    tenant = await sql.fetchval(
        "INSERT INTO tenants (name, slug) VALUES ($1, $2) RETURNING id::text",
        f"RLS {label}",
        f"rls-{label}-{suffix}",
    )
    await sql.execute(
        "INSERT INTO tenant_memberships (tenant_id, user_id, role)"
        " VALUES ($1, $2, 'OWNER'), ($1, $3, 'MEMBER')",
        tenant,
        owner,
        shared,
    )
    project = await sql.fetchval(
        "INSERT INTO projects (tenant_id, name) VALUES ($1, $2) RETURNING id::text",
        tenant,
        f"{label} project",
    )
    lonely = await sql.fetchval(
        "INSERT INTO projects (tenant_id, name) VALUES ($1, $2) RETURNING id::text", tenant, f"{label} lonely"
    )
    document = await sql.fetchval(
        "INSERT INTO documents (tenant_id, project_id, title, content) VALUES ($1, $2, $3, 'secret')"
        " RETURNING id::text",
        tenant,
        project,
        f"{label} document",
    )
    await sql.execute(
        "INSERT INTO audit_log (tenant_id, actor_id, action) VALUES ($1, $2, 'seed')", tenant, owner
    )
    await sql.execute(
        "INSERT INTO refresh_tokens (tenant_id, user_id, family_id, token_hash, expires_at)"
        " VALUES ($1, $2, gen_random_uuid(), $3, now() + interval '1 day')",
        tenant,
        owner,
        uuid.uuid4().bytes,
    )
    return tenant, project, lonely, document


@pytest.fixture(scope="module")
async def world(database_url: str) -> AsyncIterator[World]:
    async with superuser(database_url) as sql:
        users = [
            await sql.fetchval(
                "INSERT INTO users (email, password_hash) VALUES ($1, 'not-a-real-hash') RETURNING id::text",
                f"rls-{name}-{uuid.uuid4().hex[:8]}@example.test",
            )
            for name in ("alice", "bob", "shared")
        ]
        alice, bob, shared = users
        tenant_a, project_a, lonely_a, document_a = await _seed_tenant(sql, "a", alice, shared)
        tenant_b, project_b, _, document_b = await _seed_tenant(sql, "b", bob, shared)
        yield World(
            tenant_a, tenant_b, alice, bob, shared, project_a, project_b, lonely_a, document_a, document_b
        )


async def tenant_tables(database_url: str) -> list[asyncpg.Record]:
    async with superuser(database_url) as sql:
        tables = list(await sql.fetch(TENANT_TABLES))
    assert {"projects", "documents", "audit_log", "tenant_memberships"} <= {t["name"] for t in tables}, tables
    return tables


# --- reading ---------------------------------------------------------------------------------


async def test_without_a_tenant_every_tenant_table_reads_as_empty(database_url: str, world: World) -> None:
    seen = {}
    for table in await tenant_tables(database_url):
        if not table["readable"]:
            continue  # the app role cannot read it at all: no rows either
        async with as_app(database_url) as sql:
            seen[table["name"]] = await sql.fetchval(f"SELECT count(*) FROM {table['name']}")
    assert seen, "no tenant table is readable by iafactory_app"
    assert all(count == 0 for count in seen.values()), f"rows visible with no tenant set: {seen}"


async def test_an_empty_tenant_setting_means_no_tenant_not_an_error(database_url: str, world: World) -> None:
    seen = {}
    for table in await tenant_tables(database_url):
        if not table["readable"]:
            continue
        async with as_app(database_url, tenant_id="", user_id="") as sql:
            seen[table["name"]] = await sql.fetchval(f"SELECT count(*) FROM {table['name']}")
    assert all(count == 0 for count in seen.values()), f"rows visible with app.tenant_id = '': {seen}"


async def test_a_tenant_reads_only_its_own_rows_in_every_tenant_table(
    database_url: str, world: World
) -> None:
    foreign = {}
    for table in await tenant_tables(database_url):
        if not table["readable"]:
            continue
        async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
            tenants = {
                row[0] for row in await sql.fetch(f"SELECT DISTINCT tenant_id::text FROM {table['name']}")
            }
        if tenants - {world.tenant_a}:
            foreign[table["name"]] = tenants - {world.tenant_a}
    assert not foreign, f"tenant A sees rows of other tenants: {foreign}"


async def test_a_tenant_does_see_its_own_seeded_rows(database_url: str, world: World) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        projects = {r[0] for r in await sql.fetch("SELECT id::text FROM projects")}
        documents = {r[0] for r in await sql.fetch("SELECT id::text FROM documents")}
        audit = await sql.fetchval("SELECT count(*) FROM audit_log")
        tokens = await sql.fetchval("SELECT count(*) FROM refresh_tokens")
    assert projects == {world.project_a, world.lonely_project_a}, "A's projects, and only them"
    assert documents == {world.document_a}
    assert audit >= 1, "A's audit rows are readable in A"
    assert tokens == 1, "a user sees its own refresh token row (never its hash: see below)"


async def test_filtering_on_another_tenant_id_explicitly_still_returns_nothing(
    database_url: str, world: World
) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        rows = await sql.fetch("SELECT id FROM projects WHERE tenant_id = $1", uuid.UUID(world.tenant_b))
        by_id = await sql.fetch("SELECT id FROM documents WHERE id = $1", uuid.UUID(world.document_b))
    assert rows == [], "an explicit WHERE on B's tenant id cannot get past the policy"
    assert by_id == [], "nor can a WHERE on one of B's row ids"


# --- writing ---------------------------------------------------------------------------------


async def test_inserting_a_project_into_another_tenant_is_refused(database_url: str, world: World) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await sql.execute("INSERT INTO projects (tenant_id, name) VALUES ($1, 'planted')", world.tenant_b)


async def test_inserting_a_document_into_another_tenant_is_refused(database_url: str, world: World) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await sql.execute(
                "INSERT INTO documents (tenant_id, title, content) VALUES ($1, 'planted', 'x')",
                world.tenant_b,
            )


async def test_inserting_an_audit_row_or_membership_into_another_tenant_is_refused(
    database_url: str, world: World
) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await sql.execute(
                "INSERT INTO audit_log (tenant_id, action) VALUES ($1, 'forged')", world.tenant_b
            )
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await sql.execute(
                "INSERT INTO tenant_memberships (tenant_id, user_id, role) VALUES ($1, $2, 'OWNER')",
                world.tenant_b,
                world.alice,
            )


async def test_inserting_without_any_tenant_is_refused(database_url: str, world: World) -> None:
    async with as_app(database_url) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await sql.execute("INSERT INTO projects (tenant_id, name) VALUES ($1, 'orphan')", world.tenant_a)


async def test_moving_an_own_row_into_another_tenant_is_refused(database_url: str, world: World) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await sql.execute(
                "UPDATE projects SET tenant_id = $1 WHERE id = $2",
                world.tenant_b,
                uuid.UUID(world.lonely_project_a),
            )


async def test_updating_or_deleting_another_tenants_rows_touches_nothing(
    database_url: str, world: World
) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        updated = await sql.execute(
            "UPDATE projects SET name = 'defaced' WHERE tenant_id = $1", world.tenant_b
        )
        deleted = await sql.execute("DELETE FROM documents WHERE tenant_id = $1", world.tenant_b)
        members = await sql.execute("DELETE FROM tenant_memberships WHERE tenant_id = $1", world.tenant_b)
    assert (updated, deleted, members) == ("UPDATE 0", "DELETE 0", "DELETE 0")


async def test_a_document_cannot_point_at_another_tenants_project(database_url: str, world: World) -> None:
    # The composite foreign key (tenant_id, project_id): the reference itself cannot cross.
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await sql.execute(
                "INSERT INTO documents (tenant_id, project_id, title, content) VALUES ($1, $2, 'x', 'y')",
                world.tenant_a,
                uuid.UUID(world.project_b),
            )


async def test_the_audit_log_is_append_only_for_the_app(database_url: str, world: World) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await sql.execute("DELETE FROM audit_log")
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await sql.execute("UPDATE audit_log SET action = 'rewritten'")


# --- global tables: users and tenants --------------------------------------------------------


async def test_a_user_sees_itself_and_fellow_members_only(database_url: str, world: World) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        visible = {r[0] for r in await sql.fetch("SELECT id::text FROM users")}
    assert visible == {world.alice, world.shared}, "alice sees herself and A's other member, never bob"


async def test_without_identity_no_user_and_no_tenant_is_visible(database_url: str, world: World) -> None:
    async with as_app(database_url) as sql:
        users = await sql.fetchval("SELECT count(*) FROM users")
        tenants = await sql.fetchval("SELECT count(*) FROM tenants")
    assert (users, tenants) == (0, 0)


async def test_password_hashes_are_never_readable_by_the_app(database_url: str, world: World) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await sql.fetch("SELECT password_hash FROM users WHERE id = $1", uuid.UUID(world.alice))
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await sql.fetch("SELECT * FROM users")


async def test_refresh_token_hashes_are_never_readable_by_the_app(database_url: str, world: World) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await sql.fetch("SELECT token_hash FROM refresh_tokens")


async def test_a_user_cannot_make_itself_superadmin(database_url: str, world: World) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await sql.execute("UPDATE users SET is_superadmin = true WHERE id = $1", uuid.UUID(world.alice))


async def test_a_user_cannot_rename_a_user_of_another_tenant(database_url: str, world: World) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        status = await sql.execute("UPDATE users SET full_name = 'pwned' WHERE id = $1", uuid.UUID(world.bob))
    assert status == "UPDATE 0"


async def test_tenants_are_visible_only_to_their_members(database_url: str, world: World) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        alice_sees = {r[0] for r in await sql.fetch("SELECT id::text FROM tenants")}
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.shared) as sql:
        shared_sees = {r[0] for r in await sql.fetch("SELECT id::text FROM tenants")}
    assert alice_sees == {world.tenant_a}
    assert shared_sees == {world.tenant_a, world.tenant_b}, "a member of both sees both (Viewer.memberships)"


async def test_the_app_cannot_create_or_change_tenants(database_url: str, world: World) -> None:
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await sql.execute(
                "UPDATE tenants SET plan = 'ENTERPRISE' WHERE id = $1", uuid.UUID(world.tenant_a)
            )
    async with as_app(database_url, tenant_id=world.tenant_a, user_id=world.alice) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await sql.execute(
                "INSERT INTO tenants (name, slug) VALUES ('x', $1)", f"x-{uuid.uuid4().hex[:8]}"
            )
