"""Issue 9, finding 7: the sign-in guard. Password spraying from one address is limited across
emails (IAFACTORY_LOGIN_IP_RATE_LIMIT); the per-email counter follows the database's one
normalisation (`alİce@` IS `alice@` there, so it is here); its keys are hashed and bounded;
X-Forwarded-For is believed only from IAFACTORY_TRUSTED_PROXIES; argon2 runs a bounded
number at a time."""

from __future__ import annotations

import uuid

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from iafactory.app import _proxy_headers
from iafactory.governance.ratelimit import RateLimits
from iafactory.settings import Settings
from tests.helpers import only_code
from tests.security.conftest import LOGIN_IP_LIMIT, LOGIN_LIMIT, login_from, new_address
from tests.support.graphql import PASSWORD, GraphQLClient, register

WRONG = "certainly not the password"


def test_password_spraying_from_one_address_is_rate_limited_across_emails(
    guarded_client: GraphQLClient,
) -> None:
    address = new_address()
    for _ in range(LOGIN_IP_LIMIT):
        email = f"sprayed-{uuid.uuid4().hex[:8]}@example.test"
        assert only_code(login_from(guarded_client, email, WRONG, address=address)) == "UNAUTHENTICATED"
    victim = register(guarded_client, name="sprayed")
    body = login_from(guarded_client, victim.email, PASSWORD, address=address)
    assert only_code(body) == "RATE_LIMITED", "one more email from that address, even the right password"
    assert login_from(guarded_client, victim.email, PASSWORD, address=new_address())["data"]["login"], (
        "the account itself is not locked: another address signs in"
    )


def test_a_dotted_capital_i_in_the_email_spends_the_same_counter_as_the_plain_one(
    guarded_client: GraphQLClient,
) -> None:
    alice = register(guarded_client, name="alice")  # alice-<hex>@example.test
    address = new_address()
    for _ in range(LOGIN_LIMIT):
        assert only_code(login_from(guarded_client, alice.email, WRONG, address=address)) == "UNAUTHENTICATED"
    variant = alice.email.replace("i", "\u0130", 1)  # alİce-...: PostgreSQL's lower() gives alice-...
    assert variant != alice.email
    assert only_code(login_from(guarded_client, variant, WRONG, address=address)) == "RATE_LIMITED"
    assert only_code(login_from(guarded_client, f"  {alice.email.upper()} ", WRONG, address=address)) == (
        "RATE_LIMITED"
    )


def test_a_client_cannot_choose_its_address_through_the_trusted_proxy(guarded_client: GraphQLClient) -> None:
    """The proxy appends the real peer; what the client put before it is not believed."""
    real = new_address()
    codes = []
    for _ in range(LOGIN_IP_LIMIT + 1):
        spoofed = f"{new_address()}, {real}"
        email = f"spoof-{uuid.uuid4().hex[:8]}@example.test"
        body = guarded_client.post(
            'mutation($e: String!) { login(input: {email: $e, password: "whatever-long"}) { accessToken } }',
            {"e": email},
            headers={"X-Forwarded-For": spoofed},
        ).json()
        codes.append(only_code(body))
    assert codes[-1] == "RATE_LIMITED", codes


async def test_sign_in_rate_limit_keys_are_hashed_and_bounded_whatever_the_email() -> None:
    limits = RateLimits(Settings(IAFACTORY_LOGIN_RATE_LIMIT="1000/minute"))  # type: ignore[call-arg]
    await limits.check_login("192.0.2.1", "x" * 5_000_000 + "@example.test")
    await limits.check_login("192.0.2.1", "someone@example.test")
    keys = list(limits._limiter.storage.storage)  # type: ignore[attr-defined]
    assert keys, "the limiter counted the attempts"
    assert max(len(key) for key in keys) < 200, "no key holds what the client sent"
    assert not any("someone" in key for key in keys), "emails never appear in a key"


async def test_x_forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy() -> None:
    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.client.host if request.client else "")

    settings = Settings(IAFACTORY_TRUSTED_PROXIES="10.0.0.1")  # type: ignore[call-arg]
    app = Starlette(routes=[Route("/", echo)], middleware=_proxy_headers(settings))
    spoof = {"X-Forwarded-For": "203.0.113.50"}
    for peer, seen in (("192.0.2.7", "192.0.2.7"), ("10.0.0.1", "203.0.113.50")):
        transport = httpx.ASGITransport(app=app, client=(peer, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await http.get("/", headers=spoof)).text == seen, f"from {peer}"


async def test_no_proxy_is_trusted_by_default() -> None:
    assert _proxy_headers(Settings()) == [], "X-Forwarded-For believed from nobody unless configured"
