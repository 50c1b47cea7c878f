"""migrations/CONVENTIONS.md, checked against the live catalog: a new table or function that
forgets a convention fails here, whoever's revision added it."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from iafactory.db import migrate
from tests.helpers import catalog_snapshot
from tests.support.database import empty_database, fetch_as_superuser

APP, OWNER, SUPERADMIN = "iafactory_app", "iafactory_owner", "iafactory_superadmin"
CREDENTIALS, AUTHENTICATOR = "iafactory_credentials", "iafactory_authenticator"
USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"

TENANT_TABLES = f"""
SELECT c.oid, c.oid::regclass::text AS name, c.relrowsecurity, c.relforcerowsecurity,
       pg_get_userbyid(c.relowner) AS owner, a.attnotnull AS tenant_id_not_null
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
 WHERE c.relkind IN ('r', 'p') AND {USER_SCHEMAS}
 ORDER BY 2
"""


async def tenant_tables(database_url: str) -> list[asyncpg.Record]:
    tables = await fetch_as_superuser(database_url, TENANT_TABLES)
    assert len(tables) >= 5, f"expected the core's tenant tables at least: {[t['name'] for t in tables]}"
    return tables


# --- tenant tables ---------------------------------------------------------------------------


async def test_every_tenant_table_has_row_level_security_enabled_and_forced(database_url: str) -> None:
    bad = [
        (t["name"], t["relrowsecurity"], t["relforcerowsecurity"])
        for t in await tenant_tables(database_url)
        if not (t["relrowsecurity"] and t["relforcerowsecurity"])
    ]
    assert not bad, f"(table, enabled, forced) for tables holding tenant data without forced RLS: {bad}"


async def test_every_tenant_table_has_a_policy_for_each_command(database_url: str) -> None:
    policies = await fetch_as_superuser(
        database_url, "SELECT polrelid, polcmd::text AS polcmd, polpermissive FROM pg_policy"
    )
    commands = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}
    missing = {}
    for table in await tenant_tables(database_url):
        present = {p["polcmd"] for p in policies if p["polrelid"] == table["oid"] and p["polpermissive"]}
        lacking = [name for cmd, name in commands.items() if cmd not in present and "*" not in present]
        if lacking:
            missing[table["name"]] = lacking
    assert not missing, f"tenant tables lacking a permissive policy per command: {missing}"


async def test_every_tenant_policy_is_built_on_current_tenant_id_or_refuses(database_url: str) -> None:
    rows = await fetch_as_superuser(
        database_url,
        """SELECT c.oid::regclass::text AS table_name, p.polname,
                  coalesce(pg_get_expr(p.polqual, p.polrelid), '') AS using_expr,
                  coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') AS check_expr
             FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped""",
    )
    loose = [
        (r["table_name"], r["polname"])
        for r in rows
        for expression in (r["using_expr"], r["check_expr"])
        if expression and "current_tenant_id()" not in expression and expression != "false"
    ]
    assert not loose, f"tenant policies not keyed on app.current_tenant_id(): {loose}"


async def test_tenant_tables_have_tenant_id_first_in_a_composite_primary_key(database_url: str) -> None:
    rows = await fetch_as_superuser(
        database_url,
        """SELECT conrelid, (SELECT array_agg(a.attname ORDER BY k.ord)
                               FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                               JOIN pg_attribute a
                                 ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns
             FROM pg_constraint con WHERE contype = 'p'""",
    )
    keys = {r["conrelid"]: list(r["columns"]) for r in rows}
    bad = {}
    for table in await tenant_tables(database_url):
        if not table["tenant_id_not_null"]:
            # The documented exception (CONVENTIONS.md): refresh_tokens.tenant_id is NULL for a
            # super-admin session without a tenant, so its key is `id` alone.
            assert table["name"] == "refresh_tokens", f"{table['name']}.tenant_id must be NOT NULL"
            continue
        columns = keys.get(table["oid"], [])
        if not columns or columns[0] != "tenant_id" or len(columns) < 2:
            bad[table["name"]] = columns
    assert not bad, f"tenant tables whose primary key is not (tenant_id, ...): {bad}"


async def test_references_between_tenant_tables_carry_tenant_id(database_url: str) -> None:
    rows = await fetch_as_superuser(
        database_url,
        """SELECT con.conname, con.conrelid::regclass::text AS source,
                  con.confrelid::regclass::text AS target,
                  (SELECT array_agg(a.attname) FROM unnest(con.conkey) k(attnum)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns
             FROM pg_constraint con WHERE contype = 'f'""",
    )
    tenant_tables_names = {t["name"] for t in await tenant_tables(database_url)}
    crossing = [
        (r["source"], r["conname"], r["target"])
        for r in rows
        if r["source"] in tenant_tables_names
        and r["target"] in tenant_tables_names
        and "tenant_id" not in r["columns"]
    ]
    assert not crossing, f"foreign keys between tenant tables that could cross tenants: {crossing}"


async def test_tenant_tables_are_owned_by_the_owner_role(database_url: str) -> None:
    bad = [(t["name"], t["owner"]) for t in await tenant_tables(database_url) if t["owner"] != OWNER]
    assert not bad, f"tables owned by another role (a superuser owner skips every policy): {bad}"


async def test_global_tables_have_row_level_security_forced_too(database_url: str) -> None:
    rows = await fetch_as_superuser(
        database_url,
        "SELECT relname, relrowsecurity AND relforcerowsecurity AS forced FROM pg_class"
        " WHERE relname IN ('users', 'tenants', 'tenant_memberships') AND relkind = 'r'",
    )
    assert {r["relname"]: r["forced"] for r in rows} == {
        "users": True,
        "tenants": True,
        "tenant_memberships": True,
    }


async def test_every_table_the_app_can_read_is_under_row_level_security(database_url: str) -> None:
    rows = await fetch_as_superuser(
        database_url,
        f"""SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'v', 'm') AND {USER_SCHEMAS}
               AND has_any_column_privilege('{APP}', c.oid, 'SELECT')
               AND NOT (c.relrowsecurity AND c.relforcerowsecurity)""",
    )
    # plans is reference data (the plan table of CONTRACT.md), the same for every tenant;
    # alembic_version holds the schema's revision (an export records it).
    exposed = sorted(r["name"] for r in rows if r["name"] not in {"plans", "alembic_version"})
    assert not exposed, f"tables or views the app role reads without forced RLS: {exposed}"


# --- roles -------------------------------------------------------------------------------------


async def test_the_app_role_is_neither_superuser_nor_bypassrls_nor_login(database_url: str) -> None:
    rows = await fetch_as_superuser(
        database_url, "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1", APP
    )
    assert [dict(r) for r in rows] == [{"rolsuper": False, "rolbypassrls": False, "rolcanlogin": False}]


async def test_the_app_role_owns_nothing(database_url: str) -> None:
    owned = await fetch_as_superuser(
        database_url,
        """SELECT 'relation ' || oid::regclass::text FROM pg_class WHERE relowner = to_regrole($1)
           UNION ALL SELECT 'function ' || oid::regprocedure::text FROM pg_proc
                      WHERE proowner = to_regrole($1)
           UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspowner = to_regrole($1)""",
        APP,
    )
    assert owned == [], f"iafactory_app owns objects (an owner can drop or alter policies): {owned}"


async def test_the_app_role_cannot_become_the_owner_or_superadmin_role(database_url: str) -> None:
    rows = await fetch_as_superuser(
        database_url,
        "SELECT pg_has_role($1, $2, 'MEMBER') AS owner, pg_has_role($1, $3, 'MEMBER') AS superadmin",
        APP,
        OWNER,
        SUPERADMIN,
    )
    assert dict(rows[0]) == {"owner": False, "superadmin": False}


async def test_the_superadmin_role_bypasses_rls_but_is_no_superuser(database_url: str) -> None:
    rows = await fetch_as_superuser(
        database_url,
        "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1",
        SUPERADMIN,
    )
    assert [dict(r) for r in rows] == [{"rolsuper": False, "rolbypassrls": True, "rolcanlogin": False}]


async def test_the_runtime_login_is_no_superuser_and_inherits_nothing(database_url: str) -> None:
    rows = await fetch_as_superuser(
        database_url,
        "SELECT rolsuper, rolbypassrls, rolinherit, rolcreaterole, rolcreatedb, rolreplication, rolcanlogin"
        " FROM pg_roles WHERE rolname = $1",
        AUTHENTICATOR,
    )
    assert [dict(r) for r in rows] == [
        {
            "rolsuper": False,
            "rolbypassrls": False,
            "rolinherit": False,
            "rolcreaterole": False,
            "rolcreatedb": False,
            "rolreplication": False,
            "rolcanlogin": True,
        }
    ], "RESET ROLE inside a request lands on this role: it must be able to do nothing"


async def test_the_runtime_login_is_a_member_only_of_the_roles_requests_switch_to(database_url: str) -> None:
    rows = await fetch_as_superuser(
        database_url,
        "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
        " WHERE m.member = to_regrole($1) ORDER BY 1",
        AUTHENTICATOR,
    )
    assert [r["rolname"] for r in rows] == [APP, CREDENTIALS, SUPERADMIN]
    owner = await fetch_as_superuser(
        database_url, "SELECT pg_has_role($1, $2, 'MEMBER')", AUTHENTICATOR, OWNER
    )
    assert owner[0][0] is False, "the runtime can never become the owner of the tables"


async def test_the_credentials_role_can_do_nothing_but_look_up_credentials(database_url: str) -> None:
    rows = await fetch_as_superuser(
        database_url,
        "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1",
        CREDENTIALS,
    )
    assert [dict(r) for r in rows] == [{"rolsuper": False, "rolbypassrls": False, "rolcanlogin": False}]
    readable = await fetch_as_superuser(
        database_url,
        f"""SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE {USER_SCHEMAS} AND has_any_column_privilege($1, c.oid, 'SELECT')""",
        CREDENTIALS,
    )
    assert readable == [], "it reads users only through app.login_lookup"


async def test_the_login_role_that_migrated_can_switch_to_every_role(database_url: str) -> None:
    rows = await fetch_as_superuser(
        database_url,
        "SELECT pg_has_role(session_user, $1, 'MEMBER') AND pg_has_role(session_user, $2, 'MEMBER')"
        " AND pg_has_role(session_user, $3, 'MEMBER') AS ok",
        APP,
        OWNER,
        SUPERADMIN,
    )
    assert rows[0]["ok"], "the migration grants the three roles to the login role of DATABASE_URL"


# --- functions ------------------------------------------------------------------------------

DEFINER_FUNCTIONS = f"""
SELECT p.oid::regprocedure::text AS name, p.proconfig, pg_get_userbyid(p.proowner) AS owner,
       EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) acl
                WHERE acl.grantee = 0 AND acl.privilege_type = 'EXECUTE') AS public_execute
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prosecdef AND {USER_SCHEMAS}
"""


async def definer_functions(database_url: str) -> list[asyncpg.Record]:
    functions = await fetch_as_superuser(database_url, DEFINER_FUNCTIONS)
    assert any(f["name"].startswith("app.login_lookup") for f in functions), functions
    return functions


def search_path(config: list[str] | None) -> list[str] | None:
    for entry in config or []:
        if entry.startswith("search_path="):
            return [part.strip().strip('"') for part in entry.partition("=")[2].split(",")]
    return None


async def test_every_security_definer_function_pins_search_path_with_pg_temp_last(database_url: str) -> None:
    unpinned = {
        f["name"]: search_path(f["proconfig"])
        for f in await definer_functions(database_url)
        if (path := search_path(f["proconfig"])) is None or path[-1] != "pg_temp" or path[0] != "pg_catalog"
    }
    # pg_temp not listed is searched FIRST for tables: a caller could plant a temp `users`.
    assert not unpinned, (
        f"security-definer functions without `search_path = pg_catalog, ..., pg_temp`: {unpinned}"
    )


async def test_no_security_definer_function_is_executable_by_public(database_url: str) -> None:
    public = [f["name"] for f in await definer_functions(database_url) if f["public_execute"]]
    assert not public, f"EXECUTE not revoked from PUBLIC: {public}"


async def test_security_definer_functions_are_owned_by_the_owner_role_not_a_superuser(
    database_url: str,
) -> None:
    bad = [(f["name"], f["owner"]) for f in await definer_functions(database_url) if f["owner"] != OWNER]
    assert not bad, f"a definer owned by a superuser runs with superuser rights: {bad}"


# Functions whose answer is a secret (a password hash): only the credentials role calls them.
SECRET_RESULTS = f"""
SELECT p.oid::regprocedure::text AS name
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE {USER_SCHEMAS} AND (p.proargnames && ARRAY['password_hash'] OR p.prorettype = 'users'::regtype)
"""


async def test_the_app_role_may_execute_the_definer_functions_in_schema_app(database_url: str) -> None:
    secret = {r["name"] for r in await fetch_as_superuser(database_url, SECRET_RESULTS)}
    rows = await fetch_as_superuser(
        database_url,
        """SELECT p.oid::regprocedure::text AS name
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'app' AND p.prosecdef AND NOT has_function_privilege($1, p.oid, 'EXECUTE')
              AND p.proname NOT IN ('number_audit_entry')""",
        APP,
    )
    refused = [r["name"] for r in rows if r["name"] not in secret]
    assert refused == [], f"definer functions the app cannot call: {refused}"


async def test_functions_returning_password_hashes_are_callable_by_the_credentials_role_only(
    database_url: str,
) -> None:
    functions = await fetch_as_superuser(database_url, SECRET_RESULTS)
    assert any(f["name"].startswith("app.login_lookup") for f in functions), functions
    rows = await fetch_as_superuser(
        database_url,
        f"""SELECT p.oid::regprocedure::text AS name, r.rolname
              FROM ({SECRET_RESULTS}) s JOIN pg_proc p ON p.oid::regprocedure::text = s.name
              CROSS JOIN pg_roles r
             WHERE r.rolname IN ($1, $2, $3) AND has_function_privilege(r.oid, p.oid, 'EXECUTE')""",
        APP,
        SUPERADMIN,
        AUTHENTICATOR,
    )
    assert [(r["name"], r["rolname"]) for r in rows] == [], "a request's role can read password hashes"


# --- migrating -------------------------------------------------------------------------------


async def test_migrating_again_is_a_no_op(database_url: str) -> None:
    before = await catalog_snapshot(database_url)
    migrate.upgrade(database_url)
    assert await catalog_snapshot(database_url) == before
    assert before["revision"] == migrate.head_revision()


@pytest.fixture
def second_database(admin_url: str) -> Any:
    with empty_database(admin_url, prefix="iafactory_second") as url:
        yield url


async def test_a_second_database_in_the_same_cluster_migrates_with_the_roles_already_there(
    database_url: str, second_database: str
) -> None:
    roles = await fetch_as_superuser(
        second_database, "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'iafactory_%'"
    )
    assert roles[0][0] >= 3, "the roles exist already: the first database created them"
    migrate.upgrade(second_database)
    assert (await catalog_snapshot(second_database))["revision"] == migrate.head_revision()
    forced = await fetch_as_superuser(
        second_database,
        "SELECT bool_and(relrowsecurity AND relforcerowsecurity) FROM pg_class"
        " WHERE relname IN ('projects', 'users')",
    )
    assert forced[0][0], "the second database gets its own policies and grants"
    privileged = await fetch_as_superuser(
        second_database, "SELECT has_table_privilege($1, 'projects', 'SELECT')", APP
    )
    assert privileged[0][0], "grants are per database: the app role is granted in the second one too"
