"""Documents: adding (checks, language, size), deleting (chunks and audit), and paging."""

from typing import Any

import pytest

from tests.support.database import sql
from tests.support.graphql import Account, GraphQLClient, error_codes, register

ADD = """
mutation($i: AddDocumentInput!) { addDocument(input: $i) { id title language source createdBy { email } } }
"""
PAGE = """
query($first: Int, $after: String, $p: ID) {
  documents(first: $first, after: $after, projectId: $p) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id title }
  }
}
"""
NESTED_PAGE = """
query($id: ID!, $first: Int, $after: String) {
  project(id: $id) {
    documents(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id title project { id } }
    }
  }
}
"""
MAX_DOCUMENT_BYTES = 262_144  # the IAFACTORY_MAX_DOCUMENT_BYTES test servers run with (tests/support)


def add(client: GraphQLClient, owner: Account, title: str, content: str = "Du texte.", **extra: Any) -> Any:
    return client.data(ADD, {"i": {"title": title, "content": content, **extra}}, token=owner.access_token)[
        "addDocument"
    ]


def new_project(client: GraphQLClient, owner: Account, name: str = "P") -> str:
    project: str = client.data(
        "mutation($n: String!) { createProject(input: {name: $n}) { id } }",
        {"n": name},
        token=owner.access_token,
    )["createProject"]["id"]
    return project


def pages(
    client: GraphQLClient, owner: Account, query: str, variables: dict[str, Any], field: Any
) -> list[Any]:
    """Every page of a connection, following endCursor."""
    result, after = [], None
    while True:
        page = field(client.data(query, {**variables, "after": after}, token=owner.access_token))
        result.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return result
        after = page["pageInfo"]["endCursor"]


@pytest.fixture
def owner(client: GraphQLClient) -> Account:
    """A fresh tenant, for tests that count its documents."""
    return register(client, name="docs")


@pytest.fixture(scope="module")
def writer(client: GraphQLClient) -> Account:
    """One tenant for the tests that only check answers to bad input (registering is slow)."""
    return register(client, name="writer")


# --- adding ---------------------------------------------------------------------------------


def test_an_added_document_has_its_language_source_and_author(client: GraphQLClient, owner: Account) -> None:
    french = add(client, owner, "Note", "Les modèles de langue génèrent du texte à partir d'une consigne.")
    english = add(client, owner, "Note", "The scheduler assigns each training job to a free GPU.")
    assert (french["language"], english["language"]) == ("fr", "en")
    assert french["source"] == "TEXT"
    assert french["createdBy"] == {"email": owner.email}


def test_a_given_language_tag_is_kept_as_its_iso_code(client: GraphQLClient, writer: Account) -> None:
    assert add(client, writer, "Note", "Bonjour", language="en-US")["language"] == "en"
    assert add(client, writer, "Note", "Azul", language="KAB")["language"] == "kab"


def test_a_document_over_the_size_limit_is_bad_user_input(client: GraphQLClient, owner: Account) -> None:
    body = client.execute(
        ADD, {"i": {"title": "T", "content": "x" * MAX_DOCUMENT_BYTES}}, token=owner.access_token
    )
    assert error_codes(body) == ["BAD_USER_INPUT"], "title + content is one byte over the limit"
    assert client.data(PAGE, token=owner.access_token)["documents"]["totalCount"] == 0


def test_a_document_at_the_size_limit_is_accepted(client: GraphQLClient, owner: Account) -> None:
    added = add(client, owner, "T", "é" * ((MAX_DOCUMENT_BYTES - 1) // 2))  # bytes, not characters
    assert added["id"]


@pytest.mark.parametrize(
    ("document", "why"),
    [
        ({"title": " ", "content": "texte"}, "a blank title"),
        ({"title": "T" * 501, "content": "texte"}, "a title over 500 characters"),
        ({"title": "T", "content": " \n "}, "blank content"),
        ({"title": "T", "content": "a\x00b"}, "a NUL character"),
        ({"title": "T", "content": "texte", "language": "français!"}, "a language that is no ISO 639 code"),
        ({"title": "T", "content": "texte", "projectId": "nope"}, "a malformed projectId"),
    ],
)
def test_bad_documents_are_bad_user_input(
    client: GraphQLClient, writer: Account, document: dict[str, Any], why: str
) -> None:
    assert error_codes(client.execute(ADD, {"i": document}, token=writer.access_token)) == [
        "BAD_USER_INPUT"
    ], why


def test_adding_to_another_tenants_project_is_not_found(client: GraphQLClient, owner: Account) -> None:
    other = register(client, name="other")
    body = client.execute(
        ADD,
        {"i": {"title": "T", "content": "x", "projectId": new_project(client, other)}},
        token=owner.access_token,
    )
    assert error_codes(body) == ["NOT_FOUND"]


def test_a_long_document_is_stored_as_bounded_passages_in_order(
    client: GraphQLClient, owner: Account, database_url: str
) -> None:
    content = "\n\n".join(f"Paragraphe {n}. " + "Une phrase de plus. " * 30 for n in range(20))
    document = add(client, owner, "Long", content)["id"]
    chunks = sql(
        database_url,
        "SELECT position, start_offset, content FROM document_chunks"
        " WHERE document_id = $1 ORDER BY position",
        document,
    )
    assert len(chunks) > 5
    assert [c["position"] for c in chunks] == list(range(len(chunks)))
    assert all(0 < len(c["content"]) <= 1200 for c in chunks)
    assert all(content[c["start_offset"] :].startswith(c["content"]) for c in chunks), "exact slices"


# --- deleting -------------------------------------------------------------------------------


def test_deleting_a_document_removes_its_chunks_and_is_audited(
    client: GraphQLClient, owner: Account, database_url: str
) -> None:
    document = add(client, owner, "Éphémère", "Un texte sur les éphémérides.")["id"]
    assert (
        client.data(
            "mutation($id: ID!) { deleteDocument(id: $id) }", {"id": document}, token=owner.access_token
        )["deleteDocument"]
        is True
    )
    assert sql(database_url, "SELECT 1 FROM document_chunks WHERE document_id = $1", document) == []
    found = client.data('{ searchKnowledge(query: "éphémérides") { score } }', token=owner.access_token)
    assert found["searchKnowledge"] == []
    actions = sql(database_url, "SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id", document)
    assert [row["action"] for row in actions] == ["add_document", "delete_document"]


def test_deleting_an_unknown_document_is_not_found(client: GraphQLClient, writer: Account) -> None:
    body = client.execute(
        'mutation { deleteDocument(id: "00000000-0000-0000-0000-000000000000") }', token=writer.access_token
    )
    assert error_codes(body) == ["NOT_FOUND"]


# --- paging ---------------------------------------------------------------------------------


def test_pages_cover_every_document_once_newest_first_with_the_total(
    client: GraphQLClient, owner: Account
) -> None:
    titles = [add(client, owner, f"D{n}")["title"] for n in range(7)]
    result = pages(client, owner, PAGE, {"first": 3}, lambda data: data["documents"])
    assert [len(page["nodes"]) for page in result] == [3, 3, 1]
    assert [node["title"] for page in result for node in page["nodes"]] == titles[::-1]
    assert {page["totalCount"] for page in result} == {7}


def test_a_cursor_stays_valid_when_documents_are_added_meanwhile(
    client: GraphQLClient, owner: Account
) -> None:
    for n in range(6):
        add(client, owner, f"D{n}")
    first_page = client.data(PAGE, {"first": 3}, token=owner.access_token)["documents"]
    add(client, owner, "newer")  # lands before the first page, not inside the next one
    second = client.data(
        PAGE, {"first": 3, "after": first_page["pageInfo"]["endCursor"]}, token=owner.access_token
    )["documents"]
    assert [node["title"] for node in second["nodes"]] == ["D2", "D1", "D0"]
    assert second["totalCount"] == 7


def test_documents_can_be_listed_for_one_project(client: GraphQLClient, owner: Account) -> None:
    project = new_project(client, owner)
    inside = add(client, owner, "in", projectId=project)["id"]
    add(client, owner, "out")
    page = client.data(PAGE, {"p": project}, token=owner.access_token)["documents"]
    assert (page["totalCount"], [node["id"] for node in page["nodes"]]) == (1, [inside])


def test_a_projects_documents_page_with_its_total_on_every_page(
    client: GraphQLClient, owner: Account
) -> None:
    project = new_project(client, owner)
    for n in range(5):
        add(client, owner, f"D{n}", projectId=project)
    result = pages(
        client, owner, NESTED_PAGE, {"id": project, "first": 2}, lambda data: data["project"]["documents"]
    )
    assert [[node["title"] for node in page["nodes"]] for page in result] == [
        ["D4", "D3"],
        ["D2", "D1"],
        ["D0"],
    ]
    assert {page["totalCount"] for page in result} == {5}
    assert {node["project"]["id"] for page in result for node in page["nodes"]} == {project}


def test_a_project_without_documents_has_an_empty_page(client: GraphQLClient, owner: Account) -> None:
    page = client.data(NESTED_PAGE, {"id": new_project(client, owner)}, token=owner.access_token)
    assert page["project"]["documents"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": [],
    }


@pytest.mark.parametrize("query", [PAGE, NESTED_PAGE])
@pytest.mark.parametrize(
    ("variables", "why"),
    [
        ({"first": 101}, "first is capped at 100"),
        ({"first": -1}, "first is not negative"),
        ({"after": "not a cursor"}, "a cursor is ours"),
        ({"after": "WyJub3QiLCJhIGRhdGUiXQ"}, "a well-encoded cursor with a bad position"),
    ],
)
def test_bad_page_arguments_are_bad_user_input(
    client: GraphQLClient, writer: Account, query: str, variables: dict[str, Any], why: str
) -> None:
    variables = {"id": new_project(client, writer), **variables} if query is NESTED_PAGE else variables
    assert error_codes(client.execute(query, variables, token=writer.access_token)) == ["BAD_USER_INPUT"], why


def test_a_page_of_100_is_allowed(client: GraphQLClient, writer: Account) -> None:
    assert client.data(PAGE, {"first": 100}, token=writer.access_token)["documents"]["pageInfo"]
