"""Retrieval quality on a small bilingual corpus (tests/knowledge/corpus.py): 36 short French
and English documents, 30 queries with the document each should find first.

Measured when written (PostgreSQL 15 and 18 alike): see the floors below; a change to
chunking, the text-search configurations or the score that lowers them is a regression.
"""

from tests.conftest import GraphQLClient, register
from tests.knowledge import corpus

HIT_AT_1_FLOOR = 0.85
HIT_AT_3_FLOOR = 0.95


def test_the_expected_document_ranks_first_for_most_queries(client: GraphQLClient) -> None:
    owner = register(client, name="corpus")
    keys = corpus.load(client, owner.access_token)
    report = corpus.evaluate(client, owner.access_token, keys)
    print(f"\nretrieval quality on {len(corpus.QUERIES)} queries: {report.line()}")
    for miss in report.misses:
        print("  not first:", miss)
    assert report.hit_at_1 >= HIT_AT_1_FLOOR, f"hit@1 fell to {report.hit_at_1:.2f}: {report.misses}"
    assert report.hit_at_3 >= HIT_AT_3_FLOOR, f"hit@3 fell to {report.hit_at_3:.2f}: {report.misses}"
