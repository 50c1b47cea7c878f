"""Members of the active tenant: listing, addMember and removeMember (OWNER or ADMIN only;
only an OWNER touches OWNERs; the last OWNER stays)."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import add_member, only_code, token_in, without_request_id
from tests.support.graphql import Account, GraphQLClient, register

MEMBERS = "{ members { role joinedAt user { id email } } }"
ADD = """mutation($email: String!, $role: MemberRole) {
  addMember(email: $email, role: $role) { role user { id email } }
}"""
REMOVE = "mutation($id: ID!) { removeMember(userId: $id) }"


def roles(client: GraphQLClient, token: str) -> dict[str, str]:
    return {m["user"]["email"]: m["role"] for m in client.data(MEMBERS, token=token)["members"]}


@pytest.fixture(scope="module")
def team(client: GraphQLClient) -> dict[str, Account]:
    """A tenant owned by `owner`, with `admin` (ADMIN) and `member` (MEMBER) added to it."""
    owner, admin, member = (register(client, name=name) for name in ("owner", "admin", "member"))
    add_member(client, owner, admin, role="ADMIN")
    add_member(client, owner, member)
    return {"owner": owner, "admin": admin, "member": member}


@pytest.fixture(scope="module")
def admin_token(client: GraphQLClient, team: dict[str, Account]) -> str:
    return token_in(client, team["admin"], team["owner"])


@pytest.fixture(scope="module")
def member_token(client: GraphQLClient, team: dict[str, Account]) -> str:
    return token_in(client, team["member"], team["owner"])


def test_members_lists_everyone_with_their_role(client: GraphQLClient, team: dict[str, Account]) -> None:
    assert roles(client, team["owner"].access_token) == {
        team["owner"].email: "OWNER",
        team["admin"].email: "ADMIN",
        team["member"].email: "MEMBER",
    }


def test_a_plain_member_may_list_the_members(
    client: GraphQLClient, team: dict[str, Account], member_token: str
) -> None:
    assert len(roles(client, member_token)) == 3


def test_members_of_another_tenant_are_never_listed(client: GraphQLClient, team: dict[str, Account]) -> None:
    # admin's own tenant: admin alone, although admin is also in owner's tenant.
    assert roles(client, team["admin"].access_token) == {team["admin"].email: "OWNER"}


def test_add_member_defaults_to_member_and_removal_works(
    client: GraphQLClient, team: dict[str, Account]
) -> None:
    newcomer = register(client, name="newcomer")
    added = client.data(ADD, {"email": newcomer.email.upper()}, token=team["owner"].access_token)["addMember"]
    assert added == {"role": "MEMBER", "user": {"id": newcomer.user_id, "email": newcomer.email}}
    assert (
        client.data(REMOVE, {"id": newcomer.user_id}, token=team["owner"].access_token)["removeMember"]
        is True
    )
    assert newcomer.email not in roles(client, team["owner"].access_token)


def test_an_admin_may_add_and_remove_members(
    client: GraphQLClient, team: dict[str, Account], admin_token: str
) -> None:
    helper = register(client, name="helper")
    assert (
        client.data(ADD, {"email": helper.email, "role": "ADMIN"}, token=admin_token)["addMember"]["role"]
        == "ADMIN"
    )
    assert client.data(REMOVE, {"id": helper.user_id}, token=admin_token)["removeMember"] is True


def test_an_admin_may_neither_grant_nor_remove_ownership(
    client: GraphQLClient, team: dict[str, Account], admin_token: str
) -> None:
    climber = register(client, name="climber")
    assert (
        only_code(client.execute(ADD, {"email": climber.email, "role": "OWNER"}, token=admin_token))
        == "FORBIDDEN"
    )
    assert only_code(client.execute(REMOVE, {"id": team["owner"].user_id}, token=admin_token)) == "FORBIDDEN"


def test_a_plain_member_may_not_add_or_remove_anyone(
    client: GraphQLClient, team: dict[str, Account], member_token: str
) -> None:
    outsider = register(client, name="outsider")
    assert only_code(client.execute(ADD, {"email": outsider.email}, token=member_token)) == "FORBIDDEN"
    assert only_code(client.execute(REMOVE, {"id": team["admin"].user_id}, token=member_token)) == "FORBIDDEN"
    assert outsider.email not in roles(client, team["owner"].access_token), "nothing was written"


def test_the_last_owner_cannot_be_removed(client: GraphQLClient, team: dict[str, Account]) -> None:
    body = client.execute(REMOVE, {"id": team["owner"].user_id}, token=team["owner"].access_token)
    assert only_code(body) == "CONFLICT", body
    assert roles(client, team["owner"].access_token)[team["owner"].email] == "OWNER"


def test_an_owner_can_leave_once_another_owner_exists(client: GraphQLClient) -> None:
    first, second = register(client, name="first"), register(client, name="second")
    add_member(client, first, second, role="OWNER")
    second_token = token_in(client, second, first)
    assert client.data(REMOVE, {"id": first.user_id}, token=second_token)["removeMember"] is True
    assert roles(client, second_token) == {second.email: "OWNER"}


def test_adding_an_unknown_email_is_not_found(client: GraphQLClient, team: dict[str, Account]) -> None:
    body = client.execute(
        ADD, {"email": f"ghost-{uuid.uuid4().hex}@example.test"}, token=team["owner"].access_token
    )
    assert only_code(body) == "NOT_FOUND"


def test_adding_an_existing_member_is_a_conflict(client: GraphQLClient, team: dict[str, Account]) -> None:
    body = client.execute(ADD, {"email": team["member"].email}, token=team["owner"].access_token)
    assert only_code(body) == "CONFLICT"


def test_adding_a_malformed_email_is_bad_user_input(client: GraphQLClient, team: dict[str, Account]) -> None:
    assert (
        only_code(client.execute(ADD, {"email": "nope"}, token=team["owner"].access_token))
        == "BAD_USER_INPUT"
    )


def test_removing_someone_from_another_tenant_is_not_found_like_a_random_id(
    client: GraphQLClient, team: dict[str, Account]
) -> None:
    stranger = register(client, name="stranger")
    foreign = client.execute(REMOVE, {"id": stranger.user_id}, token=team["owner"].access_token)
    random = client.execute(REMOVE, {"id": str(uuid.uuid4())}, token=team["owner"].access_token)
    assert only_code(foreign) == "NOT_FOUND"
    assert without_request_id(foreign) == without_request_id(random)
    assert roles(client, stranger.access_token) == {stranger.email: "OWNER"}, (
        "the stranger's tenant is untouched"
    )


def test_removing_with_a_malformed_id_is_bad_user_input(
    client: GraphQLClient, team: dict[str, Account]
) -> None:
    assert (
        only_code(client.execute(REMOVE, {"id": "nope"}, token=team["owner"].access_token))
        == "BAD_USER_INPUT"
    )
