"""Projects over real HTTP: CRUD, cursor pagination newest first, and isolation between
tenants: B can neither read, change, delete nor detect A's projects."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers import only_code, without_request_id
from tests.support.graphql import Account, GraphQLClient, error_codes, register

FIELDS = "id name description createdAt updatedAt createdBy { id email }"
CREATE = f"mutation($input: CreateProjectInput!) {{ createProject(input: $input) {{ {FIELDS} }} }}"
UPDATE = f"""mutation($id: ID!, $input: UpdateProjectInput!) {{
  updateProject(id: $id, input: $input) {{ {FIELDS} }}
}}"""
DELETE = "mutation($id: ID!) { deleteProject(id: $id) }"
GET = f"query($id: ID!) {{ project(id: $id) {{ {FIELDS} }} }}"
PAGE = """query($first: Int, $after: String) {
  projects(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } }
}"""


def create(
    client: GraphQLClient, owner: Account, name: str, description: str | None = None
) -> dict[str, Any]:
    project: dict[str, Any] = client.data(
        CREATE, {"input": {"name": name, "description": description}}, token=owner.access_token
    )["createProject"]
    return project


@pytest.fixture(scope="module")
def alice(client: GraphQLClient) -> Account:
    return register(client, name="alice")


@pytest.fixture(scope="module")
def mallory(client: GraphQLClient) -> Account:
    return register(client, name="mallory")


@pytest.fixture(scope="module")
def alices_project(client: GraphQLClient, alice: Account) -> dict[str, Any]:
    return create(client, alice, "Plan stratégique 2027", "confidentiel")


# --- CRUD ----------------------------------------------------------------------------------------


def test_create_returns_the_project_with_its_author(client: GraphQLClient, alice: Account) -> None:
    project = create(client, alice, "  Étude de marché  ", "Oran et Alger")
    assert project["name"] == "Étude de marché", "names are trimmed"
    assert project["description"] == "Oran et Alger"
    assert project["createdBy"] == {"id": alice.user_id, "email": alice.email}
    assert project["createdAt"] == project["updatedAt"]
    assert uuid.UUID(project["id"])


def test_a_project_reads_back_by_id(
    client: GraphQLClient, alice: Account, alices_project: dict[str, Any]
) -> None:
    assert (
        client.data(GET, {"id": alices_project["id"]}, token=alice.access_token)["project"] == alices_project
    )


def test_update_changes_only_the_fields_given(client: GraphQLClient, alice: Account) -> None:
    project = create(client, alice, "Avant", "garde sa description")
    renamed = client.data(UPDATE, {"id": project["id"], "input": {"name": "Après"}}, token=alice.access_token)
    renamed = renamed["updateProject"]
    assert (renamed["name"], renamed["description"]) == ("Après", "garde sa description")
    assert renamed["updatedAt"] > project["updatedAt"]
    cleared = client.data(
        UPDATE, {"id": project["id"], "input": {"description": None}}, token=alice.access_token
    )
    assert cleared["updateProject"]["description"] is None, "an explicit null clears the description"
    assert cleared["updateProject"]["name"] == "Après"


def test_delete_removes_the_project(client: GraphQLClient, alice: Account) -> None:
    project = create(client, alice, "Éphémère")
    assert client.data(DELETE, {"id": project["id"]}, token=alice.access_token)["deleteProject"] is True
    assert client.data(GET, {"id": project["id"]}, token=alice.access_token)["project"] is None
    assert only_code(client.execute(DELETE, {"id": project["id"]}, token=alice.access_token)) == "NOT_FOUND"


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_project_name_must_be_1_to_200_characters(client: GraphQLClient, alice: Account, name: str) -> None:
    body = client.execute(CREATE, {"input": {"name": name}}, token=alice.access_token)
    assert error_codes(body) == ["BAD_USER_INPUT"], body


def test_renaming_to_an_empty_name_is_refused(
    client: GraphQLClient, alice: Account, alices_project: dict[str, Any]
) -> None:
    body = client.execute(
        UPDATE, {"id": alices_project["id"], "input": {"name": " "}}, token=alice.access_token
    )
    assert error_codes(body) == ["BAD_USER_INPUT"], body


def test_projects_need_a_signed_in_caller(client: GraphQLClient) -> None:
    assert only_code(client.execute(PAGE)) == "UNAUTHENTICATED"
    assert only_code(client.execute(CREATE, {"input": {"name": "x"}})) == "UNAUTHENTICATED"


# --- pagination ------------------------------------------------------------------------------


def test_pages_walk_every_project_newest_first_with_a_stable_total(client: GraphQLClient) -> None:
    owner = register(client, name="pager")
    created = [create(client, owner, f"projet {i}")["id"] for i in range(7)]
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = client.data(PAGE, {"first": 3, "after": after}, token=owner.access_token)["projects"]
        pages += 1
        assert page["totalCount"] == 7, "totalCount is the whole list, not the page"
        seen += [node["id"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(reversed(created)), "newest first, each exactly once"
    assert pages == 3


def test_first_zero_gives_the_total_and_no_nodes(
    client: GraphQLClient, alice: Account, alices_project: dict[str, Any]
) -> None:
    page = client.data(PAGE, {"first": 0}, token=alice.access_token)["projects"]
    assert page["nodes"] == []
    assert page["totalCount"] >= 1
    assert page["pageInfo"]["hasNextPage"] is True


def test_an_empty_tenant_has_an_empty_page(client: GraphQLClient) -> None:
    empty = register(client, name="empty")
    page = client.data(PAGE, token=empty.access_token)["projects"]
    assert page == {"totalCount": 0, "pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []}


@pytest.mark.parametrize("first", [101, -1])
def test_first_outside_0_to_100_is_bad_user_input(client: GraphQLClient, alice: Account, first: int) -> None:
    assert only_code(client.execute(PAGE, {"first": first}, token=alice.access_token)) == "BAD_USER_INPUT"


@pytest.mark.parametrize("cursor", ["garbage", "W10", "eyJ4IjoxfQ"])
def test_a_malformed_cursor_is_bad_user_input(client: GraphQLClient, alice: Account, cursor: str) -> None:
    assert only_code(client.execute(PAGE, {"after": cursor}, token=alice.access_token)) == "BAD_USER_INPUT"


# --- isolation -----------------------------------------------------------------------------


def test_another_tenant_reads_null_for_a_project_id_exactly_as_for_a_random_id(
    client: GraphQLClient, mallory: Account, alices_project: dict[str, Any]
) -> None:
    foreign = client.execute(GET, {"id": alices_project["id"]}, token=mallory.access_token)
    random = client.execute(GET, {"id": str(uuid.uuid4())}, token=mallory.access_token)
    assert foreign == random == {"data": {"project": None}}


def test_another_tenant_cannot_update_a_project_and_cannot_tell_it_exists(
    client: GraphQLClient, alice: Account, mallory: Account, alices_project: dict[str, Any]
) -> None:
    change = {"name": "pwned", "description": "pwned"}
    foreign = client.execute(
        UPDATE, {"id": alices_project["id"], "input": change}, token=mallory.access_token
    )
    random = client.execute(UPDATE, {"id": str(uuid.uuid4()), "input": change}, token=mallory.access_token)
    assert only_code(foreign) == "NOT_FOUND"
    assert without_request_id(foreign) == without_request_id(random), "same error object as for a random id"
    assert foreign["data"] == random["data"]
    unchanged = client.data(GET, {"id": alices_project["id"]}, token=alice.access_token)["project"]
    assert (unchanged["name"], unchanged["description"]) == (alices_project["name"], "confidentiel")


def test_another_tenant_cannot_delete_a_project_and_cannot_tell_it_exists(
    client: GraphQLClient, alice: Account, mallory: Account, alices_project: dict[str, Any]
) -> None:
    foreign = client.execute(DELETE, {"id": alices_project["id"]}, token=mallory.access_token)
    random = client.execute(DELETE, {"id": str(uuid.uuid4())}, token=mallory.access_token)
    assert only_code(foreign) == "NOT_FOUND"
    assert without_request_id(foreign) == without_request_id(random)
    assert client.data(GET, {"id": alices_project["id"]}, token=alice.access_token)["project"] is not None


def test_another_tenants_list_and_total_never_include_the_project(
    client: GraphQLClient, mallory: Account, alices_project: dict[str, Any]
) -> None:
    page = client.data(PAGE, {"first": 100}, token=mallory.access_token)["projects"]
    assert alices_project["id"] not in {node["id"] for node in page["nodes"]}
    assert page["totalCount"] == len(page["nodes"])


def test_a_cursor_from_another_tenant_only_pages_through_the_callers_own_rows(
    client: GraphQLClient, alice: Account, mallory: Account, alices_project: dict[str, Any]
) -> None:
    create(client, alice, "après le curseur")
    cursor = client.data(PAGE, {"first": 1}, token=alice.access_token)["projects"]["pageInfo"]["endCursor"]
    page = client.data(PAGE, {"first": 100, "after": cursor}, token=mallory.access_token)["projects"]
    assert alices_project["id"] not in {node["id"] for node in page["nodes"]}
