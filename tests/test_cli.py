"""The `iafactory` command, run as an operator would (its own process, DATABASE_URL in the
environment): migrate, schema, tenant list|create|suspend|resume, superadmin create, and a
one-line reason on stderr with a non-zero exit for every failure."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import Result

from iafactory.db import migrate
from tests.helpers import catalog_snapshot, cli, cli_inline, login, only_code
from tests.support import database
from tests.support.graphql import PASSWORD, GraphQLClient, register
from tests.support.server import REPO_ROOT


def tenants(database_url: str) -> dict[str, list[str]]:
    """`iafactory tenant list`, by slug: [name, region, plan, status, members, id]."""
    done = cli_inline("tenant", "list", database_url=database_url)
    assert done.exit_code == 0, done.output
    header, *rows = [line.split("\t") for line in done.stdout.splitlines() if line.strip()]
    assert header == ["SLUG", "NAME", "REGION", "PLAN", "STATUS", "MEMBERS", "ID"]
    return {row[0]: row[1:] for row in rows}


@pytest.fixture
def empty_database(admin_url: str) -> Iterator[str]:
    with database.empty_database(admin_url, prefix="iafactory_cli") as url:
        yield url


# --- migrate and schema ----------------------------------------------------------------------


async def test_migrate_applies_everything_then_a_second_run_is_a_no_op(empty_database: str) -> None:
    first = cli("migrate", database_url=empty_database)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == f"database at revision {migrate.head_revision()}"
    assert "semantic search:" in first.stdout + first.stderr, "and whether semantic search is on, and why not"
    after_first = await catalog_snapshot(empty_database)
    second = cli("migrate", database_url=empty_database)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert await catalog_snapshot(empty_database) == after_first, "the second run changed the catalog"


def test_schema_prints_the_committed_schema_graphql() -> None:
    done = cli("schema", database_url=None)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (REPO_ROOT / "schema.graphql").read_text(), "run `make schema` and commit it"
    for root in ("type Query", "type Mutation", "type Subscription"):
        assert root in done.stdout, root


# --- tenants ---------------------------------------------------------------------------------


def test_tenant_create_list_suspend_resume(database_url: str) -> None:
    # The real process once (exit status, stdout); then in-process, to keep the suite fast.
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    created = cli(
        "tenant",
        "create",
        "--name",
        "Pharmacie Centrale",
        "--slug",
        slug,
        "--region",
        "TN",
        "--plan",
        "PRO",
        database_url=database_url,
    )
    assert created.returncode == 0, created.stderr
    tenant_id = created.stdout.split()[-1]
    assert uuid.UUID(tenant_id)
    assert tenants(database_url)[slug] == [
        "Pharmacie Centrale",
        "TN",
        "PRO",
        "ACTIVE",
        "0",
        tenant_id,
    ]

    suspended = cli_inline("tenant", "suspend", slug, database_url=database_url)
    assert (suspended.exit_code, suspended.stdout.strip()) == (0, f"{slug} suspended")
    assert tenants(database_url)[slug][3] == "SUSPENDED"

    resumed = cli_inline("tenant", "resume", slug, database_url=database_url)
    assert (resumed.exit_code, resumed.stdout.strip()) == (0, f"{slug} resumed")
    assert tenants(database_url)[slug][3] == "ACTIVE"


def test_tenant_create_with_an_owner_lets_that_user_sign_in_to_it(
    client: GraphQLClient, database_url: str
) -> None:
    owner = register(client, name="cli-owner")
    slug = f"cli-owned-{uuid.uuid4().hex[:8]}"
    done = cli_inline(
        "tenant",
        "create",
        "--name",
        "Owned",
        "--slug",
        slug,
        "--owner-email",
        owner.email,
        database_url=database_url,
    )
    assert done.exit_code == 0, done.output
    assert tenants(database_url)[slug][4] == "1"
    token = login(client, owner.email, tenant_slug=slug)["accessToken"]
    assert client.data("{ me { role tenant { slug } } }", token=token)["me"] == {
        "role": "OWNER",
        "tenant": {"slug": slug},
    }


def test_suspending_from_the_shell_locks_the_tenants_api_users_out(
    client: GraphQLClient, database_url: str
) -> None:
    customer = register(client, name="cli-customer")
    assert cli_inline("tenant", "suspend", customer.tenant_slug, database_url=database_url).exit_code == 0
    assert (
        only_code(client.execute("{ me { user { id } } }", token=customer.access_token)) == "TENANT_SUSPENDED"
    )
    assert cli_inline("tenant", "resume", customer.tenant_slug, database_url=database_url).exit_code == 0
    assert (
        client.data("{ me { user { id } } }", token=customer.access_token)["me"]["user"]["id"]
        == customer.user_id
    )


# --- super-admins ------------------------------------------------------------------------------


def test_superadmin_create_makes_a_user_that_signs_in_as_superadmin(
    client: GraphQLClient, database_url: str
) -> None:
    email = f"ops-{uuid.uuid4().hex[:8]}@example.test"
    done = cli(
        "superadmin", "create", "--email", email.upper(), "--password", PASSWORD, database_url=database_url
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"super-admin {email} ("), done.stdout
    assert login(client, email)["viewer"]["isSuperadmin"] is True


def test_superadmin_create_promotes_an_existing_user(client: GraphQLClient, database_url: str) -> None:
    user = register(client, name="promoted")
    done = cli_inline(
        "superadmin", "create", "--email", user.email, "--password", PASSWORD, database_url=database_url
    )
    assert done.exit_code == 0, done.output
    assert login(client, user.email)["viewer"]["isSuperadmin"] is True


# --- failures ----------------------------------------------------------------------------------

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"


def failures(database_url: str, taken_slug: str) -> dict[str, tuple[list[str], str, dict[str, str]]]:
    """(arguments, DATABASE_URL, extra environment) of commands that must fail."""
    fresh = f"x-{uuid.uuid4().hex[:8]}"
    weak = ["superadmin", "create", "--email", "w@example.test", "--password", "short"]
    production = {"IAFACTORY_ENV": "production", "IAFACTORY_JWT_SECRET": "short"}
    return {
        "taken slug": (f"tenant create --name Copy --slug {taken_slug}".split(), database_url, {}),
        "malformed slug": (["tenant", "create", "--name", "Bad", "--slug", "Bad Slug"], database_url, {}),
        "unknown owner": (
            f"tenant create --name x --slug {fresh} --owner-email ghost@example.test".split(),
            database_url,
            {},
        ),
        "suspend an unknown slug": (["tenant", "suspend", "no-such-tenant"], database_url, {}),
        "resume an unknown slug": (["tenant", "resume", "no-such-tenant"], database_url, {}),
        "weak super-admin password": (weak, database_url, {}),
        "malformed super-admin email": (
            ["superadmin", "create", "--email", "not-an-email", "--password", PASSWORD],
            database_url,
            {},
        ),
        "unreachable database (tenant list)": (["tenant", "list"], UNREACHABLE, {}),
        "unreachable database (migrate)": (["migrate"], UNREACHABLE, {}),
        "unreachable database (superadmin)": (
            ["superadmin", "create", "--email", "u@example.test", "--password", PASSWORD],
            UNREACHABLE,
            {},
        ),
        "insecure production settings": (["tenant", "list"], database_url, production),
    }


@pytest.fixture(scope="module")
def failed(database_url: str) -> dict[str, Result]:
    """Every failing command, in this process (see helpers.cli_inline)."""
    taken = f"cli-taken-{uuid.uuid4().hex[:8]}"
    made = cli_inline("tenant", "create", "--name", "Taken", "--slug", taken, database_url=database_url)
    assert made.exit_code == 0, made.output
    return {
        name: cli_inline(*args, database_url=url, catch=True, **env)
        for name, (args, url, env) in failures(database_url, taken).items()
    }


@pytest.mark.parametrize("case", list(failures("", "")))
def test_a_failure_exits_non_zero_with_one_line_on_stderr(failed: dict[str, Result], case: str) -> None:
    done = failed[case]
    assert done.exit_code != 0, f"{case}: exit 0\n{done.stdout}"
    assert isinstance(done.exception, SystemExit), f"{case}: unhandled {done.exception!r} (a traceback)"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, f"{case}: expected one line on stderr, got:\n{done.stderr}"
    assert lines[0].startswith("iafactory: "), lines[0]
    assert "$argon2" not in done.stderr, "no password hash quoted from a failing row"


def test_a_real_process_prints_the_one_line_and_exits_1(database_url: str) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        refused = pool.submit(cli, "tenant", "suspend", "no-such-tenant", database_url=database_url)
        unreachable = pool.submit(cli, "migrate", database_url=UNREACHABLE)
    for done in (refused.result(), unreachable.result()):
        assert done.returncode == 1, done
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert done.stderr.startswith("iafactory: "), done.stderr
        assert "Traceback" not in done.stderr
