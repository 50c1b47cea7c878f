"""Tenant B never sees tenant A's knowledge base: no hit, no snippet, no count, even with the
same words, a forged cursor or A's project id. Row-level security is the wall; these go
through the whole API."""

from typing import Any

import pytest

from tests.knowledge.indexing import semantic_installed, wait_indexed
from tests.support.graphql import Account, GraphQLClient, register

ADD = "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }"
SEARCH = """
query($q: String!, $p: ID, $m: SearchMode) {
  searchKnowledge(query: $q, projectId: $p, mode: $m) { snippet score document { id content } }
}
"""
SHARED = "Les réseaux de neurones profonds transforment la reconnaissance vocale."


@pytest.fixture(scope="module")
def tenants(client: GraphQLClient) -> dict[str, Any]:
    """A and B hold a document with the same words; A also has a secret word and a project."""
    a, b = register(client, name="tenant-a"), register(client, name="tenant-b")
    project = client.data('mutation { createProject(input: {name: "A only"}) { id } }', token=a.access_token)[
        "createProject"
    ]["id"]
    a_docs = [
        client.data(
            ADD,
            {"i": {"title": "A", "content": f"{SHARED} Secret A: zanzibar.", "projectId": project}},
            token=a.access_token,
        )["addDocument"]["id"],
        client.data(ADD, {"i": {"title": "A2", "content": SHARED}}, token=a.access_token)["addDocument"][
            "id"
        ],
    ]
    b_doc = client.data(ADD, {"i": {"title": "B", "content": f"{SHARED} Note de B."}}, token=b.access_token)[
        "addDocument"
    ]["id"]
    return {"a": a, "b": b, "a_project": project, "a_docs": a_docs, "b_doc": b_doc}


def hits(
    client: GraphQLClient, who: Account, query: str, project: str | None = None, mode: str | None = None
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.data(
        SEARCH, {"q": query, "p": project, "m": mode}, token=who.access_token
    )["searchKnowledge"]
    return found


def test_the_same_words_find_only_the_callers_own_documents(
    client: GraphQLClient, tenants: dict[str, Any]
) -> None:
    b_hits = hits(client, tenants["b"], "réseaux neurones reconnaissance")
    assert [hit["document"]["id"] for hit in b_hits] == [tenants["b_doc"]]
    assert all("zanzibar" not in hit["snippet"] + hit["document"]["content"] for hit in b_hits)
    a_hits = hits(client, tenants["a"], "réseaux neurones reconnaissance")
    assert sorted(hit["document"]["id"] for hit in a_hits) == sorted(tenants["a_docs"])


def test_a_word_only_tenant_a_uses_finds_nothing_for_tenant_b(
    client: GraphQLClient, tenants: dict[str, Any]
) -> None:
    assert hits(client, tenants["b"], "zanzibar", mode="LEXICAL") == [], "full text"
    assert hits(client, tenants["b"], "zanzibr", mode="LEXICAL") == [], "trigram fallback"
    for query in ("zanzibar", "zanzibr"):  # by meaning, B's nearest are B's own
        assert {hit["document"]["id"] for hit in hits(client, tenants["b"], query)} <= {tenants["b_doc"]}


def test_scores_do_not_depend_on_the_other_tenants_documents(
    client: GraphQLClient, tenants: dict[str, Any], database_url: str
) -> None:
    # A has two documents with these words, B one: were statistics shared, B's score could
    # reveal A's corpus. The score is computed from B's own passage alone.
    fresh = register(client, name="tenant-c")
    client.data(ADD, {"i": {"title": "B", "content": f"{SHARED} Note de B."}}, token=fresh.access_token)
    if semantic_installed(database_url):  # same state on both sides: vectors in
        wait_indexed(client, tenants["b"].access_token)
        wait_indexed(client, fresh.access_token)
    b_score = hits(client, tenants["b"], "reconnaissance")[0]["score"]
    assert hits(client, fresh, "reconnaissance")[0]["score"] == b_score


def test_tenant_a_project_id_narrows_tenant_b_search_to_nothing(
    client: GraphQLClient, tenants: dict[str, Any], database_url: str
) -> None:
    assert hits(client, tenants["b"], "réseaux", project=tenants["a_project"]) == []
    if semantic_installed(database_url):
        assert hits(client, tenants["b"], "réseaux", project=tenants["a_project"], mode="SEMANTIC") == []


def test_counts_and_pages_hold_only_the_callers_documents(
    client: GraphQLClient, tenants: dict[str, Any]
) -> None:
    query = "query($p: ID) { documents(projectId: $p) { totalCount nodes { id } } }"
    b_page = client.data(query, token=tenants["b"].access_token)["documents"]
    assert b_page == {"totalCount": 1, "nodes": [{"id": tenants["b_doc"]}]}
    b_in_a_project = client.data(query, {"p": tenants["a_project"]}, token=tenants["b"].access_token)
    assert b_in_a_project["documents"] == {"totalCount": 0, "nodes": []}


def test_a_cursor_from_tenant_a_only_pages_through_tenant_b_rows(
    client: GraphQLClient, tenants: dict[str, Any]
) -> None:
    query = (
        "query($after: String) { documents(first: 1, after: $after) { nodes { id } pageInfo { endCursor } } }"
    )
    a_cursor = client.data(query, token=tenants["a"].access_token)["documents"]["pageInfo"]["endCursor"]
    b_page = client.data(query, {"after": a_cursor}, token=tenants["b"].access_token)["documents"]
    assert {node["id"] for node in b_page["nodes"]} <= {tenants["b_doc"]}


def test_tenant_b_can_neither_read_nor_delete_tenant_a_documents(
    client: GraphQLClient, tenants: dict[str, Any]
) -> None:
    a_doc = tenants["a_docs"][0]
    b = tenants["b"].access_token
    assert (
        client.data("query($id: ID!) { document(id: $id) { id } }", {"id": a_doc}, token=b)["document"]
        is None
    )
    body = client.execute("mutation($id: ID!) { deleteDocument(id: $id) }", {"id": a_doc}, token=b)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]
    assert hits(client, tenants["a"], "zanzibar"), "A's document is still there"
