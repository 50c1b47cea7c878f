"""Issue 9, finding 5: one request must not make the server produce gigabytes. The cost limit
(IAFACTORY_MAX_QUERY_COST) refuses expensive shapes before anything runs, and the response
cap (IAFACTORY_MAX_RESPONSE_BYTES) stops an answer whose text grows too large."""

from __future__ import annotations

from collections.abc import Callable

from tests.helpers import only_code
from tests.security.conftest import RESPONSE_LIMIT
from tests.support.graphql import Account, GraphQLClient, register

DOCUMENTS_OF_DOCUMENTS = "{documents(first:100){nodes{project{documents(first:100){nodes{content}}}}}}"
ADD_DOCUMENT = "mutation($t: String!, $c: String!) { addDocument(input: {title: $t, content: $c}) { id } }"


def test_pages_of_documents_nested_in_pages_of_documents_are_refused_before_execution(
    client: GraphQLClient, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("cost")
    body = client.execute(DOCUMENTS_OF_DOCUMENTS, token=alice.access_token)
    assert only_code(body) == "QUERY_TOO_COMPLEX", body
    assert body["errors"][0]["extensions"]["cost"] > body["errors"][0]["extensions"]["maximumCost"]
    assert body.get("data") is None, "nothing ran: the refusal comes before execution"


def test_a_page_size_sent_as_a_variable_is_costed_like_a_literal(
    client: GraphQLClient, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("cost")
    query = (
        "query($n: Int) { documents(first: $n) { nodes { project {"
        " documents(first: $n) { nodes { id } } } } } }"
    )
    assert only_code(client.execute(query, {"n": 100}, token=alice.access_token)) == "QUERY_TOO_COMPLEX"
    assert client.data(query, {"n": 10}, token=alice.access_token)["documents"]["nodes"] == []


def test_introspection_is_exempt_from_the_cost_limit(client: GraphQLClient) -> None:
    deep = "{ __schema { types { name fields { name args { name type { name ofType { name } } } } } } }"
    assert client.data(deep)["__schema"]["types"], "the shared server serves introspection (development)"


def test_thirty_aliases_of_large_documents_stop_at_the_response_cap(guarded_client: GraphQLClient) -> None:
    alice = register(guarded_client, name="bigdocs")
    chunk = "x" * 600_000
    for title in ("one", "two", "three", "four"):
        guarded_client.data(ADD_DOCUMENT, {"t": title, "c": chunk}, token=alice.access_token)
    aliases = " ".join(f"a{i}: documents(first: 100) {{ nodes {{ content }} }}" for i in range(30))
    response = guarded_client.post(f"{{ {aliases} }}", token=alice.access_token)
    body = response.json()
    assert only_code(body) == "QUERY_TOO_COMPLEX", str(body)[:500]
    assert body.get("data") is None, "no partial answer: the whole operation is refused"
    assert len(response.content) < RESPONSE_LIMIT / 10, "the refusal is small, not the answer"


def test_an_answer_under_the_response_cap_is_served_whole(guarded_client: GraphQLClient) -> None:
    alice = register(guarded_client, name="smalldocs")
    guarded_client.data(ADD_DOCUMENT, {"t": "one", "c": "y" * 500_000}, token=alice.access_token)
    nodes = guarded_client.data("{ documents { nodes { content } } }", token=alice.access_token)["documents"]
    assert len(nodes["nodes"][0]["content"]) == 500_000
