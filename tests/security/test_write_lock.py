"""A tenant's writers queue behind one lock, taken before any row (0012_tenant_write_lock).

The quota check and the audit numbering always serialised a tenant's writers, but took the
lock in the middle of a transaction: deleteProject (its audit entry, then the cascade to the
documents) and the indexer (the documents it embeds, then the storage quota) waited for each
other in a circle, and PostgreSQL broke the deadlock by failing one (INTERNAL, in `bench
soak`). Now every writer (a mutation's opening, a worker's or the indexer's transaction)
takes the lock first, and readers and other tenants never wait for it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from tests.support.graphql import GraphQLClient, register

CREATE = "mutation($n: String!) { createProject(input: {name: $n}) { id } }"
ADD = "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }"
DELETE_PROJECT = "mutation($id: ID!) { deleteProject(id: $id) }"
PROJECTS = "{ projects { totalCount } }"


@contextmanager
def as_the_app(database_url: str, tenant_id: str | None) -> Iterator[psycopg.Connection[Any]]:
    """A transaction as a worker of `tenant_id` opens it (db/scope.py): the app role, the
    tenant (if any), then the tenant's write lock."""
    with psycopg.connect(database_url) as connection:
        connection.execute("SET LOCAL ROLE iafactory_app")
        if tenant_id is not None:
            connection.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))
        connection.execute("SELECT app.lock_writes()")
        yield connection


def still_waiting(answer: Future[dict[str, Any]], seconds: float = 0.5) -> bool:
    time.sleep(seconds)
    return not answer.done()


def test_a_project_deleted_while_a_worker_writes_its_documents_is_deleted_without_error(
    client: GraphQLClient, database_url: str
) -> None:
    alice = register(client, name="write-lock")
    project = client.data(CREATE, {"n": "to delete"}, token=alice.access_token)["createProject"]["id"]
    document = client.data(
        ADD, {"i": {"title": "t", "content": "words", "projectId": project}}, token=alice.access_token
    )["addDocument"]["id"]
    with as_the_app(database_url, alice.tenant_id) as worker, ThreadPoolExecutor(max_workers=1) as pool:
        # The indexer's step: it locks the document it embeds.
        worker.execute("SELECT id FROM documents WHERE id = %s FOR NO KEY UPDATE", (document,))
        deleted = pool.submit(client.execute, DELETE_PROJECT, {"id": project}, token=alice.access_token)
        assert still_waiting(deleted), "deleteProject queues behind the tenant's writer"
        # Then it finishes the document (the storage quota's trigger takes the tenant's lock
        # again), and a transcription adds its text to the project: had deleteProject locked
        # its project's row or taken the lock by its audit entry, each of these would wait for
        # it while it waited for the document, and PostgreSQL would fail one of the two.
        worker.execute("UPDATE documents SET embedding_bytes = 2048 WHERE id = %s", (document,))
        worker.execute(
            "INSERT INTO documents (tenant_id, project_id, title, content, source)"
            " VALUES (%s, %s, 'transcript', 'spoken words', 'TRANSCRIPTION')",
            (alice.tenant_id, project),
        )
        worker.commit()
        assert deleted.result(timeout=30) == {"data": {"deleteProject": True}}
    assert client.data("{ documents { totalCount } }", token=alice.access_token) == {
        "documents": {"totalCount": 0}
    }, "the cascade took both documents"


def test_a_mutation_waits_for_the_tenants_writer_while_reads_and_other_tenants_do_not(
    client: GraphQLClient, database_url: str
) -> None:
    alice, bob = register(client, name="queued-writer"), register(client, name="neighbour")
    with as_the_app(database_url, alice.tenant_id) as worker, ThreadPoolExecutor(max_workers=1) as pool:
        created = pool.submit(client.execute, CREATE, {"n": "queued"}, token=alice.access_token)
        assert still_waiting(created), "alice's mutation waits for alice's writer"
        assert client.data(PROJECTS, token=alice.access_token) == {"projects": {"totalCount": 0}}
        assert client.data(CREATE, {"n": "free"}, token=bob.access_token)["createProject"]["id"]
        worker.commit()
        answer = created.result(timeout=30)
    assert not answer.get("errors"), answer


def test_a_transaction_locks_the_writes_of_its_own_tenant_only(
    client: GraphQLClient, database_url: str
) -> None:
    alice, bob = register(client, name="own-lock"), register(client, name="not-yours")
    with (
        as_the_app(database_url, alice.tenant_id) as connection,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        connection.execute("SELECT app.tenant_write_lock(%s)", (bob.tenant_id,))


def test_a_transaction_without_a_tenant_locks_nothing(database_url: str) -> None:
    with as_the_app(database_url, None) as connection:
        held = connection.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        ).fetchone()
    assert held == (0,)
