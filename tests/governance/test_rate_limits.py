"""Request budgets: per tenant by plan (HTTP and WebSocket subscribes), per client address on
sign-in, and one budget shared by two servers through Redis.

These clients accept application/graphql-response+json, so a refusal is also a 429 (an
application/json client gets 200 and the same error: tests/http/test_negotiation.py)."""

from __future__ import annotations

import json
import secrets
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import websockets

from iafactory.governance.ratelimit import RateLimits
from iafactory.settings import Settings
from tests.governance.helpers import LOGIN_LIMIT, REGISTER_LIMIT, override
from tests.support.graphql import Account, GraphQLClient
from tests.support.server import Server, start_server

ME = "{ me { role } }"
FREE_REQUESTS_PER_MINUTE = 120
LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken }
}"""
REFRESH = "mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken } }"
REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }"
PROGRESS = 'subscription { transcriptionProgress(id: "%s") { transcription { id } } }'
SPEC = "application/graphql-response+json"


@pytest.fixture(scope="module")
def spec_client(governed: Server) -> GraphQLClient:
    return GraphQLClient(governed.graphql_url, accept=SPEC)


def first_refusal(client: GraphQLClient, token: str, *, limit: int) -> tuple[list[int], httpx.Response]:
    """Statuses of requests until the first 429 (at most `limit` + 5 requests)."""
    statuses: list[int] = []
    for _ in range(limit + 5):
        response = client.post(ME, token=token)
        if response.status_code == 429:
            return statuses, response
        statuses.append(response.status_code)
    raise AssertionError(f"{len(statuses)} requests and no 429: {set(statuses)}")


def test_a_burst_over_the_plan_rate_gets_rate_limited_with_retry_after(
    spec_client: GraphQLClient, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("burst")
    admitted, refused = first_refusal(spec_client, alice.access_token, limit=FREE_REQUESTS_PER_MINUTE)
    assert admitted[:FREE_REQUESTS_PER_MINUTE] == [200] * FREE_REQUESTS_PER_MINUTE, (
        "the FREE plan admits 120/min"
    )
    # A sliding window: a burst that straddles a window boundary may be given one or two more.
    assert len(admitted) <= FREE_REQUESTS_PER_MINUTE + 2, f"refused only after {len(admitted)} requests"
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    retry_after = error["extensions"]["retryAfter"]
    assert 1 <= retry_after <= 60, f"retryAfter is the seconds to wait within the minute: {retry_after}"
    assert refused.headers["retry-after"] == str(retry_after), "HTTP clients get Retry-After too"
    assert error["extensions"]["requestId"] == refused.headers["x-request-id"]


def test_one_tenants_burst_leaves_other_tenants_unaffected(
    spec_client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    noisy, quiet = new_tenant("noisy"), new_tenant("quiet")
    override(database_url, noisy.tenant_id, "requests_per_minute", 5)
    first_refusal(spec_client, noisy.access_token, limit=5)
    assert spec_client.post(ME, token=quiet.access_token).status_code == 200, (
        "another tenant keeps its budget"
    )
    assert spec_client.post(ME, token=noisy.access_token).status_code == 429, "the noisy one is still refused"


def test_an_operators_override_of_the_plan_rate_applies(
    spec_client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("override")
    override(database_url, alice.tenant_id, "requests_per_minute", 7)
    admitted, _ = first_refusal(spec_client, alice.access_token, limit=7)
    assert len(admitted) == 7, f"the override of 7/min admitted {len(admitted)}"


async def test_websocket_subscribes_spend_the_tenant_budget_and_are_refused_over_it(
    governed: Server, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("socket")
    override(database_url, alice.tenant_id, "requests_per_minute", 2)
    unknown = uuid.uuid4()
    async with websockets.connect(governed.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {alice.access_token}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        codes = []
        for number in range(3):
            await ws.send(
                json.dumps({"id": str(number), "type": "subscribe", "payload": {"query": PROGRESS % unknown}})
            )
            answer = json.loads(await ws.recv())
            assert answer["type"] == "error" or answer["type"] == "next", answer
            errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
            codes.append(errors[0]["extensions"]["code"])
            if answer["type"] == "next":
                assert json.loads(await ws.recv())["type"] == "complete"
    assert codes[:2] == ["NOT_FOUND", "NOT_FOUND"], "two subscribes within the budget reach GraphQL"
    assert codes[2] == "RATE_LIMITED", "the third is refused before GraphQL runs"
    async with httpx.AsyncClient() as http:
        response = await http.post(
            governed.graphql_url,
            json={"query": ME},
            headers={"Authorization": f"Bearer {alice.access_token}", "Accept": SPEC},
        )
    assert response.status_code == 429, "the subscribes spent the same budget as HTTP requests"


def login(client: GraphQLClient, email: str, password: str) -> httpx.Response:
    return client.post(LOGIN, {"email": email, "password": password})


def test_login_attempts_are_limited_per_client_address_and_email(
    spec_client: GraphQLClient, new_tenant: Callable[..., Account]
) -> None:
    alice, bob = new_tenant("guessed"), new_tenant("bystander")
    for _ in range(LOGIN_LIMIT):
        wrong = login(spec_client, alice.email, "not the password at all")
        assert wrong.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    refused = login(spec_client, alice.email, alice.password)
    assert refused.status_code == 429, "over the limit even the right password is refused"
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) >= 1
    assert login(spec_client, bob.email, bob.password).status_code == 200, (
        "another email from this address still signs in"
    )


def test_refresh_attempts_are_limited_per_client_address(spec_client: GraphQLClient) -> None:
    codes = [
        spec_client.execute(REFRESH, {"token": secrets.token_urlsafe(32)})["errors"][0]["extensions"]["code"]
        for _ in range(LOGIN_LIMIT + 1)
    ]
    assert codes == ["UNAUTHENTICATED"] * LOGIN_LIMIT + ["RATE_LIMITED"]


def test_registrations_are_limited_per_client_address(spec_client: GraphQLClient) -> None:
    def attempt() -> httpx.Response:
        suffix = uuid.uuid4().hex[:10]
        return spec_client.post(
            REGISTER,
            {
                "input": {
                    "email": f"reg-{suffix}@example.test",
                    "password": "correct horse battery staple",
                    "tenantSlug": f"reg-{suffix}",
                }
            },
        )

    statuses = [attempt().status_code for _ in range(REGISTER_LIMIT + 1)]
    assert statuses == [200] * REGISTER_LIMIT + [429]


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_two_servers_sharing_redis_spend_one_budget(
    database_url: str, tmp_path: Path, new_tenant: Callable[..., Account]
) -> None:
    settings = {
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "IAFACTORY_RATE_LIMIT_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    with ThreadPoolExecutor(2) as starting:  # both start at once: half the wait
        first, second = starting.map(
            lambda name: start_server(database_url, tmp_path / name, **settings), ["one", "two"]
        )
    try:
        alice = new_tenant("shared")
        clients = [
            GraphQLClient(first.graphql_url, accept=SPEC),
            GraphQLClient(second.graphql_url, accept=SPEC),
        ]
        statuses = [
            clients[i % 2].post(ME, token=alice.access_token).status_code
            for i in range(FREE_REQUESTS_PER_MINUTE + 4)
        ]
    finally:
        first.stop()
        second.stop()
    # Each server saw only half the requests: without the shared budget neither would refuse.
    assert statuses[:FREE_REQUESTS_PER_MINUTE] == [200] * FREE_REQUESTS_PER_MINUTE
    assert 429 in statuses[FREE_REQUESTS_PER_MINUTE:], "past 120 requests in all, either server refuses"


async def test_an_unreachable_redis_lets_requests_through_rather_than_stopping_the_api() -> None:
    limits = RateLimits(Settings(REDIS_URL="redis://127.0.0.1:1/0", IAFACTORY_LOGIN_RATE_LIMIT="1/minute"))
    for _ in range(3):
        await limits.check_login("192.0.2.1", "someone@example.test")  # no RATE_LIMITED, no error


async def test_a_read_that_spends_after_it_ran_stops_running_first_once_its_tenant_is_refused() -> None:
    """The pipelined read (compiled/endpoint.py) runs before its budget is spent: without this,
    a tenant over its limit would still cost one read per refused request."""
    limits = RateLimits(Settings())
    tenant = uuid.uuid4()
    assert not limits.may_spend_after(tenant), "the rate is not cached yet: spend first"
    limits.plans._entries[tenant] = (float("inf"), 2)  # as a first request caches it
    assert limits.may_spend_after(tenant)
    assert [await limits.spend_after(tenant) for _ in range(2)] == [None, None]
    retry_after = await limits.spend_after(tenant)
    assert retry_after is not None
    assert retry_after > 0
    assert not limits.may_spend_after(tenant), "refused: its requests spend first again until the wait ends"
    assert limits.may_spend_after(uuid.uuid4()) is False
