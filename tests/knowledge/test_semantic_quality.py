"""Hybrid retrieval quality on a bilingual paraphrase corpus (tests/knowledge/paraphrases.py):
36 French and English documents, 72 reworded questions, half of them asked in the other
language. Lexical search alone ranks the right document first for about 1 in 5 of them.

Measured (PostgreSQL 15 + pgvector 0.8.0, passages encoded as "title. passage"): hybrid hit@1
0.889 (64 of 72), hit@3 0.972; semantic only the same; lexical only 0.21 / 0.28. The first
recipe (the sum of separate title and passage vectors) reached 0.847 / 0.958. How far the
corpus vouches for the gain: the title joined by a newline, a colon or a dash instead of a
full stop gives 0.833 to 0.861, so recipes within about three questions of each other are
not told apart by 72 questions; the full stop is what a sentence encoder expects, chosen on
that ground (knowledge/embedding.py), and the floors are the issue's.
"""

from typing import Any

import pytest

from tests.knowledge import corpus, paraphrases
from tests.knowledge.indexing import require_semantic, wait_indexed
from tests.support.database import lift_rate_limit
from tests.support.graphql import GraphQLClient, register

HIT_AT_1_FLOOR = 0.85
HIT_AT_3_FLOOR = 0.95
SEARCH = """
query($q: String!, $m: SearchMode) { searchKnowledge(query: $q, first: 10, mode: $m) { document { id } } }
"""


@pytest.fixture(scope="module")
def knowledge_base(client: GraphQLClient, database_url: str) -> dict[str, Any]:
    require_semantic(database_url)
    owner = register(client, name="paraphrases")
    lift_rate_limit(database_url, owner.tenant_id)
    keys: dict[str, str] = {}
    for doc in paraphrases.DOCUMENTS + paraphrases.IDENTIFIER_DOCUMENTS:
        added = client.data(
            corpus.ADD, {"i": {"title": doc.title, "content": doc.content}}, token=owner.access_token
        )
        keys[added["addDocument"]["id"]] = doc.key
    wait_indexed(client, owner.access_token)
    return {"token": owner.access_token, "keys": keys}


def ranked(client: GraphQLClient, base: dict[str, Any], query: str, mode: str = "HYBRID") -> list[str]:
    hits = client.data(SEARCH, {"q": query, "m": mode}, token=base["token"])["searchKnowledge"]
    return [base["keys"].get(hit["document"]["id"], "other") for hit in hits]


def report(
    client: GraphQLClient, base: dict[str, Any], queries: list[corpus.Query]
) -> tuple[float, float, list[str]]:
    at_1 = at_3 = 0
    misses = []
    for query in queries:
        found = ranked(client, base, query.text)
        at_1 += found[:1] == [query.expected]
        at_3 += query.expected in found[:3]
        if found[:1] != [query.expected]:
            misses.append(f"{query.text!r} -> {found[:3]} (expected {query.expected})")
    return at_1 / len(queries), at_3 / len(queries), misses


def test_hybrid_search_finds_reworded_questions_in_either_language(
    client: GraphQLClient, knowledge_base: dict[str, Any]
) -> None:
    at_1, at_3, misses = report(client, knowledge_base, paraphrases.QUERIES)
    print(f"\nparaphrases ({len(paraphrases.QUERIES)} queries): hit@1 {at_1:.3f}  hit@3 {at_3:.3f}")
    for miss in misses:
        print("  not first:", miss)
    assert at_1 >= HIT_AT_1_FLOOR, f"hit@1 {at_1:.3f}: {misses}"
    assert at_3 >= HIT_AT_3_FLOOR, f"hit@3 {at_3:.3f}: {misses}"


def test_a_question_in_english_finds_the_french_document(
    client: GraphQLClient, knowledge_base: dict[str, Any]
) -> None:
    assert ranked(client, knowledge_base, "When is the VAT return due?")[0] == "fr-vat"


def test_exact_identifiers_still_rank_first(client: GraphQLClient, knowledge_base: dict[str, Any]) -> None:
    for query in paraphrases.IDENTIFIER_QUERIES:
        found = ranked(client, knowledge_base, query.text)
        assert found[0] == query.expected, f"{query.text!r} -> {found[:3]}: a near-identical identifier won"


def test_lexical_mode_searches_by_words_only(client: GraphQLClient, knowledge_base: dict[str, Any]) -> None:
    assert ranked(client, knowledge_base, "When is the VAT return due?", mode="LEXICAL")[:1] != ["fr-vat"], (
        "no word of the question is in the French document"
    )
    assert ranked(client, knowledge_base, "INC-20417", mode="LEXICAL")[0] == "inc-20417"


def test_semantic_mode_searches_by_meaning_only(
    client: GraphQLClient, knowledge_base: dict[str, Any]
) -> None:
    assert ranked(client, knowledge_base, "When is the VAT return due?", mode="SEMANTIC")[0] == "fr-vat"
