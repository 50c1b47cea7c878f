"""Isolation under load and whatever the login role: many tenants interleaving requests on
a tiny pool, a superuser DATABASE_URL, and a login role that is no superuser at all."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.helpers import create_superadmin
from tests.support.database import fetch_as_superuser, run_sql
from tests.support.graphql import Account, GraphQLClient, register
from tests.support.server import Server, start_server

TENANTS = 8
REQUESTS_PER_TENANT = 26  # half creates, half lists, all interleaved across tenants
CREATE = "mutation($name: String!) { createProject(input: {name: $name}) { id name } }"
LIST = "{ projects(first: 100) { totalCount nodes { id name } } }"
GET = "query($id: ID!) { project(id: $id) { id name } }"


async def post(
    http: httpx.AsyncClient, url: str, token: str, query: str, variables: dict[str, Any]
) -> httpx.Response:
    return await http.post(
        url, json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.fixture(scope="module")
def small_pool_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        database_url,
        tmp_path_factory.mktemp("small-pool"),
        IAFACTORY_POOL_MIN_SIZE="1",
        IAFACTORY_POOL_MAX_SIZE="2",
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def crowd(small_pool_server: Server) -> list[Account]:
    client = GraphQLClient(small_pool_server.graphql_url)
    return [register(client, name=f"crowd{i}") for i in range(TENANTS)]


async def test_interleaved_requests_of_many_tenants_on_a_two_connection_pool_stay_isolated(
    small_pool_server: Server, crowd: list[Account]
) -> None:
    url = small_pool_server.graphql_url
    jobs: list[tuple[Account, str, dict[str, Any]]] = []
    for account in crowd:
        for i in range(REQUESTS_PER_TENANT):
            if i % 2 == 0:
                jobs.append((account, CREATE, {"name": f"{account.tenant_slug} #{i}"}))
            else:
                jobs.append((account, LIST, {}))
    random.Random(7).shuffle(jobs)
    async with httpx.AsyncClient(timeout=60) as http:
        responses = await asyncio.gather(*(post(http, url, a.access_token, q, v) for a, q, v in jobs))

    for (account, query, _), response in zip(jobs, responses, strict=True):
        body = response.json()
        assert not body.get("errors"), body
        assert response.headers["x-tenant-context"] == account.tenant_id
        if query is CREATE:
            assert body["data"]["createProject"]["name"].startswith(f"{account.tenant_slug} #")
        else:
            page = body["data"]["projects"]
            foreign = [
                n["name"] for n in page["nodes"] if not n["name"].startswith(f"{account.tenant_slug} #")
            ]
            assert not foreign, f"{account.tenant_slug} was shown other tenants' projects: {foreign}"
            assert page["totalCount"] == len(page["nodes"]), "the count is of the same tenant's rows"

    async with httpx.AsyncClient(timeout=60) as http:
        finals = await asyncio.gather(*(post(http, url, a.access_token, LIST, {}) for a in crowd))
    for account, response in zip(crowd, finals, strict=True):
        page = response.json()["data"]["projects"]
        assert page["totalCount"] == REQUESTS_PER_TENANT // 2, (
            f"{account.tenant_slug}: every create landed once"
        )


async def test_concurrent_reads_of_other_tenants_ids_all_answer_null(
    small_pool_server: Server, crowd: list[Account]
) -> None:
    url = small_pool_server.graphql_url
    async with httpx.AsyncClient(timeout=60) as http:
        pages = await asyncio.gather(*(post(http, url, a.access_token, LIST, {}) for a in crowd))
        ids = [[n["id"] for n in p.json()["data"]["projects"]["nodes"]] for p in pages]
        assert all(ids), "the previous test created projects in every tenant"
        # Each tenant asks for every project of the next tenant, all at once.
        jobs = [(crowd[i], pid) for i in range(len(crowd)) for pid in ids[(i + 1) % len(crowd)][:5]]
        answers = await asyncio.gather(
            *(post(http, url, a.access_token, GET, {"id": pid}) for a, pid in jobs)
        )
    assert all(answer.json() == {"data": {"project": None}} for answer in answers)


async def test_a_page_and_its_total_come_from_one_snapshot_while_the_tenant_writes(
    small_pool_server: Server, database_url: str
) -> None:
    # Under READ COMMITTED the page and the count (two statements) could straddle a commit.
    url = small_pool_server.graphql_url
    writer = register(GraphQLClient(url), name="snapshot")
    no_quota = "UPDATE tenants SET plan = 'ENTERPRISE' WHERE id = $1::uuid"  # 40 creates fit
    await fetch_as_superuser(database_url, no_quota, writer.tenant_id)
    async with httpx.AsyncClient(timeout=60) as http:
        jobs = []
        for i in range(40):
            jobs.append(post(http, url, writer.access_token, CREATE, {"name": f"{writer.tenant_slug} #s{i}"}))
            jobs.append(post(http, url, writer.access_token, LIST, {}))
        responses = await asyncio.gather(*jobs)
    bodies = [r.json() for r in responses]
    assert not [b for b in bodies if b.get("errors")], [b["errors"] for b in bodies if b.get("errors")][:3]
    pages = [b["data"]["projects"] for b in bodies if "projects" in b["data"]]
    torn = [(p["totalCount"], len(p["nodes"])) for p in pages if p["totalCount"] != len(p["nodes"])]
    assert not torn, f"(totalCount, nodes) of pages read across two snapshots: {torn}"


async def test_password_hashing_does_not_stall_other_requests(server: Server, client: GraphQLClient) -> None:
    # argon2 costs ~0.25 s of CPU per login; on the event loop it would freeze every tenant.
    account = register(client, name="hasher")
    login = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }"
    variables = {"e": account.email, "p": account.password}
    async with httpx.AsyncClient(timeout=60) as http:
        started = time.monotonic()
        logins = [
            asyncio.create_task(http.post(server.graphql_url, json={"query": login, "variables": variables}))
            for _ in range(6)
        ]
        await asyncio.sleep(0.3)  # the logins are hashing now
        asked = time.monotonic()
        assert (await http.get(f"{server.url}/health")).status_code == 200
        health = time.monotonic() - asked
        await asyncio.gather(*logins)
        hashing = time.monotonic() - started
    assert health < hashing / 2, f"/health took {health:.2f} s while 6 logins took {hashing:.2f} s"


# --- the login role of DATABASE_URL ---------------------------------------------------------------


def user_of(url: str) -> str:
    user = urlsplit(url).username
    assert user, url
    return user


async def test_a_server_given_a_superuser_url_serves_as_the_powerless_authenticator_and_stays_isolated(
    client: GraphQLClient, database_url: str, server: Server
) -> None:
    login = user_of(database_url)
    roles = await fetch_as_superuser(database_url, "SELECT rolsuper FROM pg_roles WHERE rolname = $1", login)
    assert roles[0]["rolsuper"], f"the suite's DATABASE_URL ({login}) is a superuser: this is the hard case"
    client.data("{ health { status } }")
    connected = await fetch_as_superuser(
        database_url,
        "SELECT DISTINCT usename FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name LIKE 'iafactory%'",
    )
    assert {row["usename"] for row in connected} == {"iafactory_authenticator"}, (
        "the server's pool and LISTEN connection never log in as the DATABASE_URL superuser"
    )

    alice, bob = register(client, name="su-alice"), register(client, name="su-bob")
    secret = client.data(CREATE, {"name": "alice only"}, token=alice.access_token)["createProject"]
    assert client.data(GET, {"id": secret["id"]}, token=bob.access_token)["project"] is None
    assert client.data(LIST, token=bob.access_token)["projects"] == {"totalCount": 0, "nodes": []}


@pytest.fixture(scope="module")
def plain_login_url(database_url: str) -> Iterator[str]:
    """A LOGIN role that is no superuser and has no BYPASSRLS, granted the three roles the
    way migrations/versions/0001_core.py grants them to the migrating login."""
    role = f"iafactory_login_{uuid.uuid4().hex[:8]}"
    run_sql(
        database_url,
        f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
        f"GRANT iafactory_owner, iafactory_app, iafactory_superadmin TO {role}",
    )
    parts = urlsplit(database_url)
    yield urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port or 5432}"))
    run_sql(database_url, f"DROP ROLE IF EXISTS {role}")


@pytest.fixture(scope="module")
def plain_server(plain_login_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(plain_login_url, Path(tmp_path_factory.mktemp("plain-login")))
    yield running
    running.stop()
    # No connection of the role may remain when the fixture above drops it.
    running.process.wait(timeout=15)


@pytest.fixture(scope="module")
def plain_root(plain_server: Server, database_url: str) -> str:
    """A super-admin's token, signed in through the server that is no superuser."""
    return create_superadmin(GraphQLClient(plain_server.graphql_url), database_url)


async def test_a_server_whose_login_role_is_no_superuser_serves_every_kind_of_request(
    plain_server: Server, plain_login_url: str, database_url: str, plain_root: str
) -> None:
    client = GraphQLClient(plain_server.graphql_url)
    alice, bob = register(client, name="plain-alice"), register(client, name="plain-bob")
    project = client.data(CREATE, {"name": "plain"}, token=alice.access_token)["createProject"]
    assert client.data(GET, {"id": project["id"]}, token=alice.access_token)["project"] == project
    assert client.data(GET, {"id": project["id"]}, token=bob.access_token)["project"] is None
    listed = client.data("{ tenants(first: 100) { nodes { id } } }", token=plain_root)["tenants"]["nodes"]
    assert {alice.tenant_id, bob.tenant_id} <= {n["id"] for n in listed}, (
        "the super-admin role is reachable too"
    )
    connected = await fetch_as_superuser(
        database_url,
        "SELECT r.rolsuper, r.rolbypassrls FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename"
        " WHERE a.usename = 'iafactory_authenticator'",
    )
    assert connected, "the pool is connected as the authenticator, whatever login migrated"
    assert not any(r["rolsuper"] or r["rolbypassrls"] for r in connected), connected
