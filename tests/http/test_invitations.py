"""Invitations with consent, as people use them: a manager invites an address, its owner
accepts with an account they have or create, and sign-in lands where they chose to be."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers import add_member, login, only_code, token_in
from tests.http.lifecycle import expire, fresh_email
from tests.support.graphql import PASSWORD, Account, GraphQLClient, register

INVITE = """mutation($email: String!, $role: MemberRole) {
  inviteMember(email: $email, role: $role) {
    token acceptUrl
    invitation { id email role status createdAt expiresAt invitedBy { email } }
  }
}"""
ACCEPT = """mutation($token: String!, $password: String, $fullName: String) {
  acceptInvitation(token: $token, password: $password, fullName: $fullName) {
    accessToken refreshToken viewer { role tenant { id } user { email fullName } }
  }
}"""
REVOKE = "mutation($id: ID!) { revokeInvitation(id: $id) { id status } }"
LIST = """query($status: InvitationStatus) {
  invitations(status: $status) { totalCount nodes { id email status } }
}"""
MEMBERS = "{ members { user { email } } }"
TENANT = "{ me { tenant { id } } }"


def invite(client: GraphQLClient, inviter: Account, email: str, role: str = "MEMBER") -> dict[str, Any]:
    return dict(
        client.data(INVITE, {"email": email, "role": role}, token=inviter.access_token)["inviteMember"]
    )


def member_emails(client: GraphQLClient, account: Account) -> set[str]:
    return {m["user"]["email"] for m in client.data(MEMBERS, token=account.access_token)["members"]}


@pytest.fixture
def owner(client: GraphQLClient) -> Account:
    return register(client, name="inviter")


def test_the_answer_is_the_same_for_a_registered_and_an_unregistered_address(
    client: GraphQLClient, owner: Account
) -> None:
    registered, unregistered = register(client, name="known").email, fresh_email("unknown")

    def shape(payload: dict[str, Any]) -> dict[str, Any]:
        invitation = payload["invitation"]
        return {
            "keys": sorted(payload),
            "invitation": {
                k: v for k, v in invitation.items() if k not in ("id", "email", "createdAt", "expiresAt")
            },
            "token_length": len(payload["token"]),
        }

    assert shape(invite(client, owner, registered)) == shape(invite(client, owner, unregistered)), (
        "nothing in the answer tells whether the address has an account"
    )


def test_nobody_becomes_a_member_before_accepting(client: GraphQLClient, owner: Account) -> None:
    invitee = register(client, name="invitee")
    payload = invite(client, owner, invitee.email)
    assert payload["invitation"]["status"] == "PENDING"
    assert payload["invitation"]["invitedBy"] == {"email": owner.email}
    assert invitee.email not in member_emails(client, owner)


def test_the_accept_url_carries_the_token_for_the_web_console(client: GraphQLClient, owner: Account) -> None:
    payload = invite(client, owner, fresh_email("link"))
    assert payload["acceptUrl"].endswith(f"/accept?token={payload['token']}")


def test_a_new_person_accepts_by_creating_the_account_and_lands_in_the_tenant(
    client: GraphQLClient, owner: Account
) -> None:
    email = fresh_email("newcomer")
    token = invite(client, owner, email, role="ADMIN")["token"]
    accepted = client.data(ACCEPT, {"token": token, "password": PASSWORD, "fullName": "Nadia"})[
        "acceptInvitation"
    ]
    assert accepted["viewer"] == {
        "role": "ADMIN",
        "tenant": {"id": owner.tenant_id},
        "user": {"email": email, "fullName": "Nadia"},
    }
    assert client.data(TENANT, token=accepted["accessToken"])["me"]["tenant"]["id"] == owner.tenant_id
    assert email in member_emails(client, owner)
    signed_in = login(client, email)["accessToken"]
    assert client.data(TENANT, token=signed_in)["me"]["tenant"]["id"] == owner.tenant_id


def test_an_existing_user_accepts_signed_in_and_next_sign_in_lands_in_the_invited_tenant(
    client: GraphQLClient, owner: Account
) -> None:
    invitee = register(client, name="existing")
    token = invite(client, owner, invitee.email.upper())["token"]
    accepted = client.data(ACCEPT, {"token": token}, token=invitee.access_token)["acceptInvitation"]
    assert accepted["viewer"]["tenant"] == {"id": owner.tenant_id}
    assert accepted["viewer"]["role"] == "MEMBER"
    again = login(client, invitee.email)["accessToken"]
    assert client.data(TENANT, token=again)["me"]["tenant"]["id"] == owner.tenant_id, (
        "the tenant last entered (by accepting) is the default"
    )


def test_a_member_added_without_consent_does_not_land_in_that_tenant_at_sign_in(
    client: GraphQLClient, owner: Account
) -> None:
    added = register(client, name="added")
    add_member(client, owner, added)
    token = login(client, added.email)["accessToken"]
    assert client.data(TENANT, token=token)["me"]["tenant"]["id"] == added.tenant_id


def test_sign_in_lands_in_the_tenant_last_switched_to(client: GraphQLClient, owner: Account) -> None:
    traveller = register(client, name="traveller")
    add_member(client, owner, traveller)
    client.data(
        "mutation($id: ID!) { switchTenant(tenantId: $id) { accessToken } }",
        {"id": owner.tenant_id},
        token=traveller.access_token,
    )
    token = login(client, traveller.email)["accessToken"]
    assert client.data(TENANT, token=token)["me"]["tenant"]["id"] == owner.tenant_id


def test_accepting_anonymously_for_an_address_with_an_account_is_a_conflict(
    client: GraphQLClient, owner: Account
) -> None:
    invitee = register(client, name="has-account")
    token = invite(client, owner, invitee.email)["token"]
    assert only_code(client.execute(ACCEPT, {"token": token, "password": PASSWORD})) == "CONFLICT"
    assert invitee.email not in member_emails(client, owner)


def test_accepting_signed_in_as_another_address_is_forbidden(client: GraphQLClient, owner: Account) -> None:
    someone_else = register(client, name="someone-else")
    token = invite(client, owner, fresh_email("intended"))["token"]
    assert only_code(client.execute(ACCEPT, {"token": token}, token=someone_else.access_token)) == "FORBIDDEN"
    assert someone_else.email not in member_emails(client, owner)


@pytest.mark.parametrize("password", [None, "short", "1234567890123"])
def test_creating_the_account_needs_a_good_password(
    client: GraphQLClient, owner: Account, password: str | None
) -> None:
    token = invite(client, owner, fresh_email("weak"))["token"]
    assert only_code(client.execute(ACCEPT, {"token": token, "password": password})) == "BAD_USER_INPUT"


@pytest.mark.parametrize("why", ["unknown", "used", "revoked", "expired", "replaced"])
def test_an_unknown_used_revoked_or_expired_token_is_not_found(
    client: GraphQLClient, owner: Account, database_url: str, why: str
) -> None:
    email = fresh_email(why)
    payload = invite(client, owner, email)
    token = payload["token"]
    if why == "unknown":
        token = token[:-4] + "AAAA"
    elif why == "used":
        client.data(ACCEPT, {"token": token, "password": PASSWORD})
    elif why == "revoked":
        client.data(REVOKE, {"id": payload["invitation"]["id"]}, token=owner.access_token)
    elif why == "expired":
        expire(database_url, "invitations", payload["invitation"]["id"])
    else:
        invite(client, owner, email)  # a new invitation for the same address replaces this one
    body = client.execute(ACCEPT, {"token": token, "password": PASSWORD + " other"})
    assert only_code(body) == "NOT_FOUND", body


def test_invitations_are_listed_newest_first_with_their_status(
    client: GraphQLClient, owner: Account, database_url: str
) -> None:
    first, second, third = (invite(client, owner, fresh_email(n)) for n in ("one", "two", "three"))
    client.data(REVOKE, {"id": second["invitation"]["id"]}, token=owner.access_token)
    expire(database_url, "invitations", third["invitation"]["id"])
    page = client.data(LIST, token=owner.access_token)["invitations"]
    assert [(n["id"], n["status"]) for n in page["nodes"]] == [
        (third["invitation"]["id"], "EXPIRED"),
        (second["invitation"]["id"], "REVOKED"),
        (first["invitation"]["id"], "PENDING"),
    ]
    pending = client.data(LIST, {"status": "PENDING"}, token=owner.access_token)["invitations"]
    assert (pending["totalCount"], [n["id"] for n in pending["nodes"]]) == (1, [first["invitation"]["id"]])


def test_revoking_an_accepted_invitation_is_a_conflict(client: GraphQLClient, owner: Account) -> None:
    payload = invite(client, owner, fresh_email("accepted"))
    client.data(ACCEPT, {"token": payload["token"], "password": PASSWORD})
    body = client.execute(REVOKE, {"id": payload["invitation"]["id"]}, token=owner.access_token)
    assert only_code(body) == "CONFLICT"


def test_another_tenants_invitation_cannot_be_revoked_or_listed(
    client: GraphQLClient, owner: Account
) -> None:
    stranger = register(client, name="stranger")
    payload = invite(client, owner, fresh_email("private"))
    body = client.execute(REVOKE, {"id": payload["invitation"]["id"]}, token=stranger.access_token)
    assert only_code(body) == "NOT_FOUND"
    assert client.data(LIST, token=stranger.access_token)["invitations"]["nodes"] == []


def test_a_plain_member_can_neither_invite_nor_list_invitations(
    client: GraphQLClient, owner: Account
) -> None:
    member = register(client, name="plain")
    add_member(client, owner, member)
    member_token = token_in(client, member, owner)
    assert only_code(client.execute(INVITE, {"email": fresh_email("x")}, token=member_token)) == "FORBIDDEN"
    assert only_code(client.execute(LIST, token=member_token)) == "FORBIDDEN"


def test_only_an_owner_may_invite_an_owner(client: GraphQLClient, owner: Account) -> None:
    admin = register(client, name="admin")
    add_member(client, owner, admin, role="ADMIN")
    body = client.execute(
        INVITE, {"email": fresh_email("boss"), "role": "OWNER"}, token=token_in(client, admin, owner)
    )
    assert only_code(body) == "FORBIDDEN"


def test_inviting_a_current_member_is_a_conflict(client: GraphQLClient, owner: Account) -> None:
    assert only_code(client.execute(INVITE, {"email": owner.email}, token=owner.access_token)) == "CONFLICT"


def test_a_malformed_address_is_bad_user_input(client: GraphQLClient, owner: Account) -> None:
    body = client.execute(INVITE, {"email": f"nope-{uuid.uuid4().hex}"}, token=owner.access_token)
    assert only_code(body) == "BAD_USER_INPUT"
