"""Signing up and in over real HTTP: register, login, refreshToken, logout, switchTenant, me."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers import add_member, login, only_code, token_claims, token_header, without_request_id
from tests.support.graphql import PASSWORD, Account, GraphQLClient, error_codes, register

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    accessToken refreshToken tokenType expiresAt
    viewer { role isSuperadmin tokenExpiresAt user { id email fullName }
             tenant { id name slug region plan status }
             memberships { role tenant { slug } } }
  }
}
"""
REFRESH = (
    "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken viewer { role } } }"
)
LOGOUT = "mutation($t: String!) { logout(refreshToken: $t) }"
ME = "{ me { role user { id email } tenant { id slug } memberships { role tenant { id slug } } } }"
LOGIN = (
    "mutation($input: LoginInput!) { login(input: $input) { accessToken viewer { role tenant { slug } } } }"
)
SWITCH = "mutation($id: ID!) { switchTenant(tenantId: $id) { accessToken viewer { role tenant { id } } } }"


def registration(**overrides: Any) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:10]
    values = {"email": f"reg-{suffix}@example.test", "password": PASSWORD, "tenantSlug": f"reg-{suffix}"}
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


@pytest.fixture(scope="module")
def alice(client: GraphQLClient) -> Account:
    return register(client, name="alice")


# --- register ----------------------------------------------------------------------------------


def test_register_creates_a_user_a_free_tenant_and_signs_in_as_owner(client: GraphQLClient) -> None:
    values = registration(fullName="Amina Ben", tenantName="Atelier Amina", region="fr")
    payload = client.data(REGISTER, {"input": values})["register"]
    viewer = payload["viewer"]
    assert payload["tokenType"] == "Bearer"
    assert (viewer["role"], viewer["isSuperadmin"]) == ("OWNER", False)
    assert viewer["user"] == {**viewer["user"], "email": values["email"], "fullName": "Amina Ben"}
    assert viewer["tenant"] == {
        **viewer["tenant"],
        "name": "Atelier Amina",
        "slug": values["tenantSlug"],
        "region": "FR",
        "plan": "FREE",
        "status": "ACTIVE",
    }
    assert viewer["memberships"] == [{"role": "OWNER", "tenant": {"slug": values["tenantSlug"]}}]
    me = client.data(ME, token=payload["accessToken"])["me"]
    assert me["tenant"]["id"] == viewer["tenant"]["id"], "the new access token works at once"


def test_register_without_tenant_name_or_slug_gets_a_workspace_named_after_the_user(
    client: GraphQLClient,
) -> None:
    values = registration(tenantSlug=None, fullName="Karim")
    tenant = client.data(REGISTER, {"input": values})["register"]["viewer"]["tenant"]
    assert tenant["name"] == "Karim's workspace"
    assert tenant["slug"].startswith("karim-s-workspace-"), tenant["slug"]
    assert tenant["region"] == "DZ", "the default region"


def test_the_access_token_has_the_contract_claims(client: GraphQLClient, alice: Account) -> None:
    header, claims = token_header(alice.access_token), token_claims(alice.access_token)
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert (claims["sub"], claims["tenant_id"], claims["role"]) == (alice.user_id, alice.tenant_id, "OWNER")
    assert "superadmin" not in claims
    assert (claims["iss"], claims["aud"]) == ("iafactory", "iafactory-api")
    assert claims["exp"] - claims["iat"] == 1800, "30 minutes by default"
    assert uuid.UUID(claims["jti"])


def test_the_payload_expiry_matches_the_token(client: GraphQLClient) -> None:
    payload = client.data(REGISTER, {"input": registration()})["register"]
    expires_at = datetime.fromisoformat(payload["expiresAt"])
    assert int(expires_at.timestamp()) == token_claims(payload["accessToken"])["exp"]
    assert payload["viewer"]["tokenExpiresAt"] == payload["expiresAt"]
    assert expires_at > datetime.now(UTC)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1!", "under 10 characters"),
        ("1234567890123", "digits only"),
        ("aaaaaaaaaaaa", "fewer than 4 distinct characters"),
        ("x" * 257, "over 256 characters"),
    ],
)
def test_register_refuses_a_weak_password(client: GraphQLClient, password: str, why: str) -> None:
    body = client.execute(REGISTER, {"input": registration(password=password)})
    assert error_codes(body) == ["BAD_USER_INPUT"], f"{why}: {body}"


def test_register_refuses_the_email_as_password(client: GraphQLClient) -> None:
    values = registration()
    body = client.execute(REGISTER, {"input": {**values, "password": values["email"].upper()}})
    assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "field",
    [{"email": "not-an-email"}, {"tenantSlug": "Bad Slug"}, {"tenantSlug": "-x"}, {"region": "Algeria"}],
)
def test_register_refuses_malformed_input(client: GraphQLClient, field: dict[str, str]) -> None:
    body = client.execute(REGISTER, {"input": registration(**field)})
    assert error_codes(body) == ["BAD_USER_INPUT"], body


def test_register_with_a_taken_email_is_a_conflict_whatever_its_case(
    client: GraphQLClient, alice: Account
) -> None:
    body = client.execute(REGISTER, {"input": registration(email=alice.email.upper())})
    assert error_codes(body) == ["CONFLICT"], body


def test_register_with_a_taken_slug_is_a_conflict_and_creates_no_user(
    client: GraphQLClient, alice: Account
) -> None:
    values = registration(tenantSlug=alice.tenant_slug)
    assert error_codes(client.execute(REGISTER, {"input": values})) == ["CONFLICT"]
    retry = client.execute(REGISTER, {"input": {**values, "tenantSlug": f"free-{uuid.uuid4().hex[:8]}"}})
    assert not retry.get("errors"), f"the failed attempt must not have kept the email: {retry}"


# --- login -------------------------------------------------------------------------------------


def test_login_signs_in_to_the_first_tenant(client: GraphQLClient, alice: Account) -> None:
    payload = client.data(LOGIN, {"input": {"email": alice.email, "password": PASSWORD}})["login"]
    assert payload["viewer"] == {"role": "OWNER", "tenant": {"slug": alice.tenant_slug}}


def test_login_ignores_the_case_and_spaces_of_the_email(client: GraphQLClient, alice: Account) -> None:
    body = client.execute(LOGIN, {"input": {"email": f"  {alice.email.upper()} ", "password": PASSWORD}})
    assert not body.get("errors"), body


def test_login_answers_the_same_for_an_unknown_email_and_a_wrong_password(
    client: GraphQLClient, alice: Account
) -> None:
    wrong_password = client.execute(LOGIN, {"input": {"email": alice.email, "password": "wrong " + PASSWORD}})
    unknown_email = client.execute(
        LOGIN, {"input": {"email": f"nobody-{uuid.uuid4().hex}@x.test", "password": PASSWORD}}
    )
    assert error_codes(wrong_password) == ["UNAUTHENTICATED"]
    assert without_request_id(wrong_password) == without_request_id(unknown_email), "no account enumeration"


def test_login_with_a_tenant_slug_enters_that_tenant(client: GraphQLClient, alice: Account) -> None:
    bob = register(client, name="bob")
    add_member(client, alice, bob, role="ADMIN")
    payload = client.data(
        LOGIN, {"input": {"email": bob.email, "password": PASSWORD, "tenantSlug": alice.tenant_slug}}
    )["login"]
    assert payload["viewer"] == {"role": "ADMIN", "tenant": {"slug": alice.tenant_slug}}
    default = client.data(LOGIN, {"input": {"email": bob.email, "password": PASSWORD}})["login"]
    assert default["viewer"]["tenant"]["slug"] == alice.tenant_slug, (
        "without a slug: the tenant last signed in to (CONTRACT.md, clarified on 2026-12-03)"
    )


def test_login_to_a_tenant_the_user_is_not_in_reveals_nothing_about_it(
    client: GraphQLClient, alice: Account
) -> None:
    stranger = register(client, name="stranger")
    existing = client.execute(
        LOGIN, {"input": {"email": stranger.email, "password": PASSWORD, "tenantSlug": alice.tenant_slug}}
    )
    missing = client.execute(
        LOGIN,
        {
            "input": {
                "email": stranger.email,
                "password": PASSWORD,
                "tenantSlug": f"no-{uuid.uuid4().hex[:8]}",
            }
        },
    )
    assert error_codes(existing), "refused"
    assert without_request_id(existing) == without_request_id(missing), (
        "same answer as for a slug that does not exist"
    )


# --- refresh and logout ------------------------------------------------------------------------


def test_refresh_rotates_the_pair(client: GraphQLClient) -> None:
    carol = register(client, name="carol")
    rotated = client.data(REFRESH, {"t": carol.refresh_token})["refreshToken"]
    assert rotated["refreshToken"] != carol.refresh_token
    assert rotated["viewer"]["role"] == "OWNER"
    me = client.data(ME, token=rotated["accessToken"])["me"]
    assert me["tenant"]["id"] == carol.tenant_id
    again = client.data(REFRESH, {"t": rotated["refreshToken"]})["refreshToken"]
    assert again["refreshToken"] not in (carol.refresh_token, rotated["refreshToken"])


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(client: GraphQLClient) -> None:
    dave = register(client, name="dave")
    rotated = client.data(REFRESH, {"t": dave.refresh_token})["refreshToken"]
    replay = client.execute(REFRESH, {"t": dave.refresh_token})
    assert only_code(replay) == "UNAUTHENTICATED", "the old token is refused"
    legit = client.execute(REFRESH, {"t": rotated["refreshToken"]})
    assert only_code(legit) == "UNAUTHENTICATED", "after a replay, the newest token of the family dies too"


def test_a_replay_does_not_touch_other_sessions_of_the_same_user(client: GraphQLClient) -> None:
    erin = register(client, name="erin")
    other_session = login(client, erin.email)["refreshToken"]
    client.data(REFRESH, {"t": erin.refresh_token})
    client.execute(REFRESH, {"t": erin.refresh_token})  # replay: kills the first family only
    assert not client.execute(REFRESH, {"t": other_session}).get("errors"), "another device stays signed in"


def test_an_unknown_refresh_token_is_unauthenticated(client: GraphQLClient) -> None:
    assert only_code(client.execute(REFRESH, {"t": "not-a-token"})) == "UNAUTHENTICATED"


def test_logout_revokes_the_refresh_token(client: GraphQLClient) -> None:
    frank = register(client, name="frank")
    assert client.data(LOGOUT, {"t": frank.refresh_token})["logout"] is True
    assert only_code(client.execute(REFRESH, {"t": frank.refresh_token})) == "UNAUTHENTICATED"


def test_logout_with_an_unknown_token_answers_false(client: GraphQLClient) -> None:
    assert client.data(LOGOUT, {"t": "never-issued"})["logout"] is False


# --- me and switchTenant ------------------------------------------------------------------------


def test_me_without_a_token_is_unauthenticated(client: GraphQLClient) -> None:
    assert only_code(client.execute(ME)) == "UNAUTHENTICATED"


def test_me_lists_every_membership_of_the_user(client: GraphQLClient, alice: Account) -> None:
    grace = register(client, name="grace")
    add_member(client, alice, grace)
    me = client.data(ME, token=grace.access_token)["me"]
    assert me["user"] == {"id": grace.user_id, "email": grace.email}
    assert me["tenant"] == {"id": grace.tenant_id, "slug": grace.tenant_slug}
    assert sorted((m["tenant"]["id"], m["role"]) for m in me["memberships"]) == sorted(
        [(grace.tenant_id, "OWNER"), (alice.tenant_id, "MEMBER")]
    )


def test_switch_tenant_issues_tokens_for_the_other_tenant_with_its_role(
    client: GraphQLClient, alice: Account
) -> None:
    heidi = register(client, name="heidi")
    add_member(client, alice, heidi)
    switched = client.data(SWITCH, {"id": alice.tenant_id}, token=heidi.access_token)["switchTenant"]
    assert switched["viewer"] == {"role": "MEMBER", "tenant": {"id": alice.tenant_id}}
    me = client.data(ME, token=switched["accessToken"])["me"]
    assert (me["role"], me["tenant"]["id"]) == ("MEMBER", alice.tenant_id)


def test_switch_tenant_to_a_tenant_the_user_is_not_in_is_not_found_like_a_random_id(
    client: GraphQLClient, alice: Account
) -> None:
    ivan = register(client, name="ivan")
    foreign = client.execute(SWITCH, {"id": alice.tenant_id}, token=ivan.access_token)
    random = client.execute(SWITCH, {"id": str(uuid.uuid4())}, token=ivan.access_token)
    assert only_code(foreign) == "NOT_FOUND"
    assert without_request_id(foreign) == without_request_id(random)


def test_switch_tenant_needs_a_valid_id_and_a_token(client: GraphQLClient, alice: Account) -> None:
    assert only_code(client.execute(SWITCH, {"id": "nope"}, token=alice.access_token)) == "BAD_USER_INPUT"
    assert only_code(client.execute(SWITCH, {"id": alice.tenant_id})) == "UNAUTHENTICATED"


def test_a_stale_token_in_the_header_does_not_prevent_login(client: GraphQLClient, alice: Account) -> None:
    body = client.execute(
        LOGIN, {"input": {"email": alice.email, "password": PASSWORD}}, token="garbage.token.here"
    )
    assert not body.get("errors"), body
