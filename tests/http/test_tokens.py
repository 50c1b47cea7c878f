"""Token attacks, each rejected through real HTTP. Tokens are forged with the test's copy of
the server's key (tests.support.server.JWT_SECRET) where the attack needs a valid signature, so
that what refuses them is the claim or the database check, not the signature."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest

from tests.helpers import (
    add_member,
    b64,
    claims_of,
    create_superadmin,
    only_code,
    sign,
    token_in,
    unb64,
    unsigned,
)
from tests.support.graphql import Account, GraphQLClient, register

ME = "{ me { user { id } tenant { id } } }"
PROJECTS = "{ projects { totalCount } }"
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }"
REMOVE = "mutation($id: ID!) { removeMember(userId: $id) }"
SUSPEND = "mutation($id: ID!, $s: TenantStatus!) { updateTenant(id: $id, input: {status: $s}) { status } }"


@pytest.fixture(scope="module")
def victim(client: GraphQLClient) -> Account:
    return register(client, name="victim")


@pytest.fixture(scope="module")
def other(client: GraphQLClient) -> Account:
    return register(client, name="other")


def rejected(client: GraphQLClient, token: str) -> str:
    """The single error code of `me` and of `projects` called with this token (they must agree)."""
    me, projects = client.execute(ME, token=token), client.execute(PROJECTS, token=token)
    assert only_code(me) == only_code(projects), (me, projects)
    assert me.get("data") is None, f"nothing of the caller may leak: {me}"
    return only_code(me)


def test_the_genuine_token_works(client: GraphQLClient, victim: Account) -> None:
    # The baseline the attacks below are measured against: the same claims, honestly signed.
    assert client.data(ME, token=sign(claims_of(victim)))["me"]["tenant"]["id"] == victim.tenant_id


def test_no_token_is_unauthenticated(client: GraphQLClient) -> None:
    assert only_code(client.execute(ME)) == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwYXNz", "Bearer", "Token abc", "bearer not.a.jwt", "Bearer a.b.c"]
)
def test_a_malformed_authorization_header_is_unauthenticated(client: GraphQLClient, header: str) -> None:
    response = client.http.post(client.url, json={"query": ME}, headers={"Authorization": header})
    assert only_code(response.json()) == "UNAUTHENTICATED"


ATTACKS: dict[str, Callable[[Account, Account], str]] = {
    "alg none": lambda a, _: unsigned(claims_of(a)),
    "alg none, upper case": lambda a, _: (
        b64(b'{"alg":"NONE","typ":"JWT"}') + "." + unsigned(claims_of(a)).split(".")[1] + "."
    ),
    "wrong key": lambda a, _: sign(claims_of(a), secret="another-secret-" + "y" * 40),
    "HS512 with the right key (algorithm pinned)": lambda a, _: sign(claims_of(a), alg="HS512"),
    "expired": lambda a, _: sign(claims_of(a, iat=int(time.time()) - 3600, exp=int(time.time()) - 60)),
    "wrong iss": lambda a, _: sign(claims_of(a, iss="evil")),
    "wrong aud": lambda a, _: sign(claims_of(a, aud="another-api")),
    "missing exp": lambda a, _: sign(claims_of(a, exp=None)),
    "not valid before an hour from now (nbf)": lambda a, _: sign(claims_of(a, nbf=int(time.time()) + 3600)),
    "issued in the future (iat)": lambda a, _: sign(claims_of(a, iat=int(time.time()) + 3600)),
    "missing iss": lambda a, _: sign(claims_of(a, iss=None)),
    "missing aud": lambda a, _: sign(claims_of(a, aud=None)),
    "missing sub": lambda a, _: sign(claims_of(a, sub=None)),
    "sub not a uuid": lambda a, _: sign(claims_of(a, sub="admin")),
    "tenant without role": lambda a, _: sign(claims_of(a, role=None)),
    "unknown role": lambda a, _: sign(claims_of(a, role="ROOT")),
    "unknown user": lambda a, _: sign(claims_of(a, sub=str(uuid.uuid4()))),
    "unknown tenant": lambda a, _: sign(claims_of(a, tenant_id=str(uuid.uuid4()))),
    "tenant the user is not a member of": lambda a, b: sign(claims_of(a, tenant_id=b.tenant_id)),
    "role the user does not have": lambda a, b: sign(claims_of(b, sub=a.user_id)),
    "superadmin claim on a normal user": lambda a, _: sign(claims_of(a, superadmin=True)),
    "superadmin claim as a string": lambda a, _: sign(claims_of(a, superadmin="true")),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_forged_token_is_unauthenticated(
    client: GraphQLClient, victim: Account, other: Account, attack: str
) -> None:
    assert rejected(client, ATTACKS[attack](victim, other)) == "UNAUTHENTICATED", attack


def test_an_edited_payload_breaks_the_signature(
    client: GraphQLClient, victim: Account, other: Account
) -> None:
    header, payload, signature = victim.access_token.split(".")
    claims = unb64(payload).replace(victim.tenant_id.encode(), other.tenant_id.encode())
    assert claims != unb64(payload)
    assert rejected(client, f"{header}.{b64(claims)}.{signature}") == "UNAUTHENTICATED"


def test_a_token_of_a_removed_member_is_refused_at_once(client: GraphQLClient, victim: Account) -> None:
    leaver = register(client, name="leaver")
    add_member(client, victim, leaver)
    token = token_in(client, leaver, victim)
    assert client.data(ME, token=token)["me"]["tenant"]["id"] == victim.tenant_id
    client.data(REMOVE, {"id": leaver.user_id}, token=victim.access_token)
    assert rejected(client, token) == "UNAUTHENTICATED", "the still-unexpired token dies with the membership"
    assert client.data(ME, token=leaver.access_token)["me"]["tenant"]["id"] == leaver.tenant_id, (
        "only the membership went: the user's own tenant still works"
    )


def test_a_removed_members_refresh_token_dies_with_the_membership(
    client: GraphQLClient, victim: Account
) -> None:
    leaver = register(client, name="leaver")
    add_member(client, victim, leaver)
    refresh = client.data(
        "mutation($id: ID!) { switchTenant(tenantId: $id) { refreshToken } }",
        {"id": victim.tenant_id},
        token=leaver.access_token,
    )["switchTenant"]["refreshToken"]
    client.data(REMOVE, {"id": leaver.user_id}, token=victim.access_token)
    assert only_code(client.execute(REFRESH, {"t": refresh})) == "UNAUTHENTICATED"


def test_a_role_changed_since_issue_invalidates_the_token(client: GraphQLClient, victim: Account) -> None:
    # The token says ADMIN; the membership is now MEMBER (removed and re-added): the database
    # check compares the role, so a demotion takes effect without waiting for expiry.
    demoted = register(client, name="demoted")
    add_member(client, victim, demoted, role="ADMIN")
    admin_token = token_in(client, demoted, victim)
    client.data(REMOVE, {"id": demoted.user_id}, token=victim.access_token)
    add_member(client, victim, demoted, role="MEMBER")
    assert rejected(client, admin_token) == "UNAUTHENTICATED"


def test_a_suspended_tenants_tokens_get_tenant_suspended(client: GraphQLClient, database_url: str) -> None:
    sleeper = register(client, name="sleeper")
    root = create_superadmin(client, database_url)
    client.data(SUSPEND, {"id": sleeper.tenant_id, "s": "SUSPENDED"}, token=root)
    assert rejected(client, sleeper.access_token) == "TENANT_SUSPENDED"
    assert only_code(client.execute(REFRESH, {"t": sleeper.refresh_token})) == "TENANT_SUSPENDED"
    client.data(SUSPEND, {"id": sleeper.tenant_id, "s": "ACTIVE"}, token=root)
    assert client.data(ME, token=sleeper.access_token)["me"]["tenant"]["id"] == sleeper.tenant_id


def test_a_replayed_refresh_token_is_unauthenticated(client: GraphQLClient) -> None:
    replayer = register(client, name="replayer")
    client.data(REFRESH, {"t": replayer.refresh_token})
    assert only_code(client.execute(REFRESH, {"t": replayer.refresh_token})) == "UNAUTHENTICATED"


def test_an_access_token_is_not_a_refresh_token_and_vice_versa(
    client: GraphQLClient, victim: Account
) -> None:
    assert only_code(client.execute(REFRESH, {"t": victim.access_token})) == "UNAUTHENTICATED"
    assert rejected(client, victim.refresh_token) == "UNAUTHENTICATED"
