"""The indexer embeds every passage off the request path: a document is searchable by its
words at once and by meaning once Document.indexedAt is set; its vectors carry the model
that made them, count toward the storage quota, and go with the document."""

import asyncio
import contextlib
import time
from typing import Any
from uuid import UUID

import asyncpg
import numpy as np
import psycopg
import pytest

from iafactory.knowledge.embedding import DIMENSIONS, MODEL, VECTOR_BYTES, Encoder
from iafactory.knowledge.indexer import Indexer
from tests.helpers import cli_inline
from tests.knowledge.indexing import require_semantic, wait_indexed
from tests.support.database import lift_rate_limit
from tests.support.graphql import GraphQLClient, register

ADD = "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id indexedAt } }"
DOCUMENT = "query($id: ID!) { document(id: $id) { indexedAt } }"
DELETE = "mutation($id: ID!) { deleteDocument(id: $id) }"
LONG = "\n\n".join(
    f"Paragraphe {n} : les réseaux de neurones apprennent des exemples. " * 12 for n in range(6)
)


def sql(database_url: str, query: str, *args: Any) -> list[Any]:
    with psycopg.connect(database_url, autocommit=True) as connection:
        cursor = connection.execute(query, args)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def owner(client: GraphQLClient, database_url: str) -> Any:
    require_semantic(database_url)
    account = register(client, name="indexer")
    lift_rate_limit(database_url, account.tenant_id)
    return account


def add(client: GraphQLClient, token: str, content: str = LONG) -> dict[str, Any]:
    added: dict[str, Any] = client.data(ADD, {"i": {"title": "Réseaux", "content": content}}, token=token)[
        "addDocument"
    ]
    return added


def vectors(database_url: str, document_id: str) -> list[Any]:
    return sql(
        database_url,
        "SELECT c.position, e.model FROM document_chunks c LEFT JOIN chunk_embeddings e"
        " ON e.tenant_id = c.tenant_id AND e.chunk_id = c.id WHERE c.document_id = %s ORDER BY 1",
        document_id,
    )


def test_every_passage_gets_a_vector_with_its_model_and_the_document_its_indexed_at(
    client: GraphQLClient, database_url: str, owner: Any
) -> None:
    added = add(client, owner.access_token)
    assert added["indexedAt"] is None, "embedding happens after the request, not in it"
    wait_indexed(client, owner.access_token)
    rows = vectors(database_url, added["id"])
    assert len(rows) > 1, "a long document has several passages"
    assert {model for _, model in rows} == {MODEL}, "every passage, and the model name and version beside it"
    assert client.data(DOCUMENT, {"id": added["id"]}, token=owner.access_token)["document"]["indexedAt"]


def test_vectors_count_toward_the_tenants_storage(
    client: GraphQLClient, database_url: str, owner: Any
) -> None:
    added = add(client, owner.access_token)
    before = client.data("{ usage { storageBytes } }", token=owner.access_token)["usage"]["storageBytes"]
    wait_indexed(client, owner.access_token)
    after = client.data("{ usage { storageBytes } }", token=owner.access_token)["usage"]["storageBytes"]
    assert after - before == VECTOR_BYTES * len(vectors(database_url, added["id"]))


def test_a_deleted_document_takes_its_vectors_with_it(
    client: GraphQLClient, database_url: str, owner: Any
) -> None:
    added = add(client, owner.access_token)
    wait_indexed(client, owner.access_token)
    client.data(
        "mutation($id: ID!) { deleteDocument(id: $id) }", {"id": added["id"]}, token=owner.access_token
    )
    assert sql(
        database_url, "SELECT count(*) FROM chunk_embeddings WHERE tenant_id = %s", owner.tenant_id
    ) == [(0,)]


def test_a_document_deleted_while_it_is_being_indexed_is_deleted_without_error(
    client: GraphQLClient, owner: Any
) -> None:
    # The indexer locks the document before its job, as a deletion does: taken in the other
    # order, a deletion during a batch deadlocked with it (INTERNAL after deadlock_timeout).
    for attempt in range(20):
        added = add(client, owner.access_token)
        time.sleep(0.01 * (attempt % 10))  # somewhere inside the indexer's batch
        body = client.execute(DELETE, {"id": added["id"]}, token=owner.access_token)
        assert body == {"data": {"deleteDocument": True}}, body


def test_vectors_that_do_not_fit_the_storage_quota_leave_the_document_found_by_its_words(
    client: GraphQLClient, database_url: str, owner: Any
) -> None:
    # Room for the text (about 4 kB), not for its vectors (2 kB a passage).
    sql(
        database_url,
        "INSERT INTO tenant_quota_overrides (tenant_id, quota, value) VALUES (%s, 'max_storage_bytes', 5000)",
        owner.tenant_id,
    )
    added = add(client, owner.access_token)
    deadline = time.monotonic() + 60
    while not sql(
        database_url,
        "SELECT error FROM embedding_jobs WHERE document_id = %s AND status = 'FAILED'",
        added["id"],
    ):
        assert time.monotonic() < deadline, "the indexer never gave up on the document"
        time.sleep(0.3)
    assert (
        client.data(DOCUMENT, {"id": added["id"]}, token=owner.access_token)["document"]["indexedAt"] is None
    )
    hits = client.data(
        '{ searchKnowledge(query: "réseaux neurones") { document { id } } }', token=owner.access_token
    )
    assert [hit["document"]["id"] for hit in hits["searchKnowledge"]] == [added["id"]]
    assert sql(
        database_url, "SELECT count(*) FROM chunk_embeddings WHERE tenant_id = %s", owner.tenant_id
    ) == [(0,)]


def test_reindex_replaces_the_vectors_of_another_model(
    client: GraphQLClient, database_url: str, owner: Any
) -> None:
    added = add(client, owner.access_token)
    wait_indexed(client, owner.access_token)
    sql(
        database_url,
        "UPDATE chunk_embeddings SET model = 'an-older-model' WHERE tenant_id = %s",
        owner.tenant_id,
    )
    done = cli_inline("knowledge", "reindex", owner.tenant_slug, database_url=database_url)
    assert done.exit_code == 0, done.output
    assert {model for _, model in vectors(database_url, added["id"])} == {MODEL}


def test_migrate_says_whether_semantic_search_is_on(database_url: str) -> None:
    require_semantic(database_url)
    done = cli_inline("migrate", database_url=database_url)
    assert done.exit_code == 0, done.output
    assert "semantic search: on (pgvector)" in done.output


def suspended_tenant_with_a_queued_document(database_url: str) -> str:
    """A job the server's own indexer leaves alone (it skips suspended tenants): the test
    plays the indexers, calling the claim function as they do."""
    [(tenant,)] = sql(
        database_url,
        "INSERT INTO tenants (name, slug, status) VALUES (%s, %s, 'SUSPENDED') RETURNING id::text",
        *(["crashing-" + str(time.monotonic_ns())] * 2),
    )
    sql(
        database_url,
        "WITH d AS (INSERT INTO documents (tenant_id, title, content) VALUES (%s, 'Poison', 'Un passage.')"
        " RETURNING tenant_id, id) INSERT INTO document_chunks"
        " (tenant_id, document_id, position, start_offset, title, content)"
        " SELECT tenant_id, id, 0, 0, 'Poison', 'Un passage.' FROM d",
        tenant,
    )
    return str(tenant)


def claim(database_url: str, tenant: str, *, lease_seconds: float, max_attempts: int) -> int:
    """An indexer's claim, committed; the indexer then dies (it never writes anything else)."""
    return len(
        sql(
            database_url,
            "SELECT * FROM app.claim_embedding_jobs(NULL, 32, %s, %s, %s)",
            tenant,
            lease_seconds,
            max_attempts,
        )
    )


def test_a_claimed_job_waits_for_its_lease_to_lapse_before_another_indexer_takes_it(
    database_url: str,
) -> None:
    require_semantic(database_url)
    tenant = suspended_tenant_with_a_queued_document(database_url)
    assert claim(database_url, tenant, lease_seconds=0.3, max_attempts=3) == 1
    assert claim(database_url, tenant, lease_seconds=0.3, max_attempts=3) == 0, "the lease holds it"
    time.sleep(0.4)
    retried = claim(database_url, tenant, lease_seconds=0.3, max_attempts=3)
    assert retried == 1, "once the lease lapses, a dead indexer's job is retried"


def test_a_document_whose_indexer_dies_each_time_fails_after_max_attempts(database_url: str) -> None:
    require_semantic(database_url)
    tenant = suspended_tenant_with_a_queued_document(database_url)
    for _ in range(2):
        assert claim(database_url, tenant, lease_seconds=0.05, max_attempts=2) == 1
        time.sleep(0.1)
    assert claim(database_url, tenant, lease_seconds=0.05, max_attempts=2) == 0
    [(status, attempts, error)] = sql(
        database_url, "SELECT status, attempts, error FROM embedding_jobs WHERE tenant_id = %s", tenant
    )
    assert (status, attempts) == ("FAILED", 2), "no indexer takes it again"
    assert "stopped the indexer 2 times" in error


def test_an_indexer_stopped_mid_batch_hands_it_back_at_once_with_its_attempt_uncounted(
    database_url: str,
) -> None:
    require_semantic(database_url)
    tenant = suspended_tenant_with_a_queued_document(database_url)

    async def stop_while_encoding() -> None:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
        indexer = Indexer(pool, Encoder(threads=1))  # loading the model (~1 s) is the window
        try:
            step = asyncio.create_task(indexer.step(only=UUID(tenant)))
            for _ in range(1000):  # until the step has claimed its batch (20 s at most)
                if await pool.fetchval(LEASED, UUID(tenant)):
                    break
                await asyncio.sleep(0.02)
            step.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await step
        finally:
            indexer.close()
            await pool.close()

    asyncio.run(stop_while_encoding())
    [(attempts, lease)] = sql(
        database_url, "SELECT attempts, lease_expires_at FROM embedding_jobs WHERE tenant_id = %s", tenant
    )
    assert (attempts, lease) == (0, None), "stopping is not the batch's fault"


LEASED = "SELECT 1 FROM embedding_jobs WHERE tenant_id = $1 AND lease_expires_at IS NOT NULL"


class SlowEncoder(Encoder):
    """Seconds per batch, as on a busy machine; vectors of no meaning."""

    def encode(self, texts: list[str]) -> Any:
        time.sleep(1.5)
        return np.full((len(texts), DIMENSIONS), DIMENSIONS**-0.5, dtype=np.float32)


IDLE_IN_TRANSACTION = (
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'indexer-test'"
    " AND state = 'idle in transaction' AND clock_timestamp() - state_change > interval '0.3 s'"
)


def test_no_transaction_stays_open_while_the_encoder_runs(database_url: str) -> None:
    require_semantic(database_url)
    tenant = suspended_tenant_with_a_queued_document(database_url)

    async def index_while_watching() -> int:
        settings = {"application_name": "indexer-test"}
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2, server_settings=settings)
        indexer = Indexer(pool, SlowEncoder(threads=1))
        try:
            step = asyncio.create_task(indexer.step(only=UUID(tenant)))
            seen = 0
            watcher = await asyncpg.connect(database_url)
            try:
                while not step.done():
                    seen = max(seen, await watcher.fetchval(IDLE_IN_TRANSACTION))
                    await asyncio.sleep(0.05)
            finally:
                await watcher.close()
            batch = await step
            assert batch is not None
            assert batch.documents == 1, batch
            return seen
        finally:
            indexer.close()
            await pool.close()

    assert asyncio.run(index_while_watching()) == 0, "a connection sat idle in a transaction while encoding"
    assert sql(database_url, "SELECT indexed_at IS NOT NULL FROM documents WHERE tenant_id = %s", tenant) == [
        (True,)
    ]
