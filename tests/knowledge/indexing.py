"""Helpers for tests of semantic search: is it installed here, and waiting for the indexer."""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.support.graphql import GraphQLClient

UNINDEXED = """
query($after: String) {
  documents(first: 100, after: $after) { nodes { indexedAt } pageInfo { hasNextPage endCursor } }
}
"""


def semantic_installed(database_url: str) -> bool:
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT to_regclass('public.chunk_embeddings') IS NOT NULL").fetchone()
    return bool(row and row[0])


def require_semantic(database_url: str) -> None:
    """Skips the test where the database server has no pgvector (it is optional)."""
    if not semantic_installed(database_url):
        pytest.skip("pgvector is not installed on this PostgreSQL server (.ci/build-pgvector builds it)")


def wait_indexed(client: GraphQLClient, token: str, *, timeout: float = 120) -> None:
    """Until every document of the caller's tenant has its vectors (Document.indexedAt)."""
    deadline = time.monotonic() + timeout
    while True:
        pending, after = 0, None
        while True:
            page = client.data(UNINDEXED, {"after": after}, token=token)["documents"]
            pending += sum(1 for node in page["nodes"] if node["indexedAt"] is None)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        if pending == 0:
            return
        assert time.monotonic() < deadline, f"{pending} document(s) still not indexed after {timeout} s"
        time.sleep(0.5)


def wait_indexed_in_sql(database_url: str, tenant_id: str, *, timeout: float = 120) -> None:
    """`wait_indexed`, read from the database: it sends no request (counted API calls stay put)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url, autocommit=True) as connection:
        while True:
            row = connection.execute(
                "SELECT count(*) FROM documents WHERE tenant_id = %s AND indexed_at IS NULL", (tenant_id,)
            ).fetchone()
            if row is not None and row[0] == 0:
                return
            assert time.monotonic() < deadline, f"{row} document(s) still not indexed after {timeout} s"
            time.sleep(0.2)
