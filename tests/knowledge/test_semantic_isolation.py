"""Semantic search never crosses tenants: not through the API, even when another tenant holds
a near-identical document, and not in SQL, where the explicit tenant predicate could be
wrong: row-level security is the wall behind it."""

from typing import Any

import psycopg
import pytest

from iafactory.knowledge.embedding import MODEL, Encoder, to_sql
from tests.knowledge.indexing import require_semantic, wait_indexed
from tests.support.database import lift_rate_limit
from tests.support.graphql import GraphQLClient, register

ADD = "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }"
SEARCH = (
    "query($q: String!, $m: SearchMode) { searchKnowledge(query: $q, mode: $m) { document { id } snippet } }"
)
VAT = "Les déclarations de TVA trimestrielles sont à déposer avant le 20 du mois suivant."
QUESTIONS = ["When is the VAT return due?", "date limite TVA", "quarterly tax deadline", "zanzibar"]


@pytest.fixture(scope="module")
def tenants(client: GraphQLClient, database_url: str) -> dict[str, Any]:
    """A and B hold near-identical documents; only A's names a secret."""
    require_semantic(database_url)
    a, b = register(client, name="sem-a"), register(client, name="sem-b")
    for account in (a, b):
        lift_rate_limit(database_url, account.tenant_id)

    def add(account: Any, title: str, content: str) -> str:
        return str(
            client.data(ADD, {"i": {"title": title, "content": content}}, token=account.access_token)[
                "addDocument"
            ]["id"]
        )

    a_docs = {
        add(a, "TVA", f"{VAT} Code du coffre de A : zanzibar."),
        add(a, "Paie", "Les salaires sont virés le 28."),
    }
    b_doc = add(b, "TVA", VAT)
    wait_indexed(client, a.access_token)
    wait_indexed(client, b.access_token)
    return {"a": a, "b": b, "a_docs": a_docs, "b_doc": b_doc}


@pytest.mark.parametrize("mode", ["HYBRID", "SEMANTIC"])
def test_a_tenant_finds_only_its_own_document_when_another_holds_a_near_identical_one(
    client: GraphQLClient, tenants: dict[str, Any], mode: str
) -> None:
    for question in QUESTIONS:
        hits = client.data(SEARCH, {"q": question, "m": mode}, token=tenants["b"].access_token)[
            "searchKnowledge"
        ]
        found = {hit["document"]["id"] for hit in hits}
        assert found <= {tenants["b_doc"]}, f"{mode} {question!r} returned another tenant's document"
        assert all("zanzibar" not in hit["snippet"] for hit in hits)


def test_the_other_tenant_still_finds_its_own(client: GraphQLClient, tenants: dict[str, Any]) -> None:
    hits = client.data(SEARCH, {"q": "When is the VAT return due?"}, token=tenants["a"].access_token)
    assert {hit["document"]["id"] for hit in hits["searchKnowledge"]} <= tenants["a_docs"]
    assert hits["searchKnowledge"], "A's own document is found by meaning"


def as_app(database_url: str, tenant_id: str | None, query: str, *args: Any) -> list[Any]:
    """A statement as the app role, bound to `tenant_id` (or to none), rolled back."""
    with psycopg.connect(database_url) as connection:
        connection.execute("SET LOCAL ROLE iafactory_app")
        if tenant_id is not None:
            connection.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))
        rows = connection.execute(query, args).fetchall()
        connection.rollback()
    return rows


def test_in_sql_a_tenant_sees_no_vector_of_another_even_when_it_asks_for_them(
    database_url: str, tenants: dict[str, Any]
) -> None:
    vector = to_sql(Encoder(threads=1).encode([VAT])[0])
    a_id, b_id = tenants["a"].tenant_id, tenants["b"].tenant_id
    nearest = "SELECT chunk_id FROM app.nearest_chunks(%s, %s, %s::text::public.vector, 10, NULL)"
    assert as_app(database_url, a_id, nearest, a_id, MODEL, vector), "A reads its own vectors"
    assert as_app(database_url, b_id, nearest, a_id, MODEL, vector) == [], "B asking for A's finds nothing"
    assert as_app(database_url, b_id, "SELECT count(*) FROM chunk_embeddings WHERE tenant_id = %s", a_id) == [
        (0,)
    ]
    assert as_app(database_url, None, "SELECT count(*) FROM chunk_embeddings") == [(0,)], "no tenant, no rows"


def test_in_sql_the_lexical_lookup_of_hybrid_search_finds_no_passage_of_another_tenant(
    database_url: str, tenants: dict[str, Any]
) -> None:
    a_id, b_id = tenants["a"].tenant_id, tenants["b"].tenant_id
    matching = "SELECT * FROM app.chunks_matching(%s, app.word_query('TVA'), NULL, 10)"
    assert as_app(database_url, a_id, matching, a_id), "A finds its own passage by its words"
    assert as_app(database_url, b_id, matching, a_id) == [], "B asking for A's finds nothing"
    assert as_app(database_url, None, matching, a_id) == [], "no tenant, no rows"
