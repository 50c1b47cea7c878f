"""The lexical half of a hybrid search is bounded: the full-text index is asked only for the
passages that can earn the lexical bonus (more than half the query's words), a fixed number
at most (iafactory/db/queries/search.py). bench/semantic.py measures what that buys."""

from typing import Any

import psycopg
import pytest

from tests.knowledge.indexing import require_semantic


def scalar(database_url: str, query: str, *args: Any) -> Any:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(query, args).fetchone()
    return None if row is None else row[0]


AT_LEAST = "SELECT to_tsvector('simple', %s) @@ app.tsquery_at_least(ARRAY['a', 'b', 'c']::tsquery[], %s)"


@pytest.mark.parametrize(
    ("text", "count", "matches"),
    [("a c", 2, True), ("b", 2, False), ("c b a", 3, True), ("a b", 3, False), ("c", 1, True)],
)
def test_at_least_matches_a_text_with_that_many_of_the_words(
    database_url: str, text: str, count: int, matches: bool
) -> None:
    require_semantic(database_url)
    assert scalar(database_url, AT_LEAST, text, count) is matches


def test_at_least_is_null_when_it_cannot_be_met(database_url: str) -> None:
    require_semantic(database_url)
    assert scalar(database_url, "SELECT app.tsquery_at_least(ARRAY['a']::tsquery[], 2)") is None
    assert scalar(database_url, "SELECT app.tsquery_at_least(ARRAY['a']::tsquery[], 0)") is None


def test_the_lexical_lookup_returns_no_more_than_its_limit(database_url: str) -> None:
    require_semantic(database_url)
    with psycopg.connect(database_url) as connection:
        tenant = connection.execute(
            "INSERT INTO tenants (name, slug, status)"
            " VALUES ('bounds', 'bounds-lookup', 'SUSPENDED') RETURNING id"
        ).fetchone()[0]
        connection.execute(
            "WITH d AS (INSERT INTO documents (tenant_id, title, content)"
            " SELECT %s, 'Note', 'Le même mot partout' FROM generate_series(1, 30) RETURNING tenant_id, id)"
            " INSERT INTO document_chunks (tenant_id, document_id, position, start_offset, title, content)"
            " SELECT tenant_id, id, 0, 0, 'Note', 'Le même mot partout' FROM d",
            (tenant,),
        )
        connection.execute("SELECT set_config('app.tenant_id', %s::text, true)", (tenant,))
        found = connection.execute(
            "SELECT count(*) FROM app.chunks_matching(%s, app.word_query('partout'), NULL, 7)", (tenant,)
        ).fetchone()[0]
        connection.rollback()
    assert found == 7, "30 passages share the word; the lookup stops at its limit"
