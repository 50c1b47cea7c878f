"""Issue 9, finding 12: audit ids are numbered per tenant. With one global sequence, the gaps
between a tenant's own ids counted every other tenant's actions in between."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import psycopg

from tests.support.graphql import GraphQLClient, register

CREATE = "mutation($n: String!) { createProject(input: {name: $n}) { id } }"
AUDIT = "{ auditLog(first: 100) { nodes { id action } } }"


def test_audit_ids_count_only_the_tenants_own_actions(client: GraphQLClient) -> None:
    alice, bob = register(client, name="audited"), register(client, name="busy-neighbour")
    for round_ in range(3):
        client.data(CREATE, {"n": f"alice {round_}"}, token=alice.access_token)
        for other in range(4):  # the neighbour's actions in between
            client.data(CREATE, {"n": f"bob {round_}.{other}"}, token=bob.access_token)
    ids = sorted(int(n["id"]) for n in client.data(AUDIT, token=alice.access_token)["auditLog"]["nodes"])
    assert ids == list(range(1, len(ids) + 1)), f"dense from 1, whatever the neighbours did: {ids}"


def test_a_failed_mutation_leaves_no_gap_in_the_numbers(client: GraphQLClient, database_url: str) -> None:
    alice = register(client, name="gapless")
    client.data(CREATE, {"n": "kept"}, token=alice.access_token)
    failed = client.execute(CREATE, {"n": "x" * 500}, token=alice.access_token)  # over 200 characters
    assert failed.get("errors"), failed
    client.data(CREATE, {"n": "kept too"}, token=alice.access_token)
    with psycopg.connect(database_url, autocommit=True) as connection:
        ids = [
            r[0]
            for r in connection.execute(
                "SELECT id FROM audit_log WHERE tenant_id = %s ORDER BY id", (alice.tenant_id,)
            )
        ]
    assert ids == list(range(1, len(ids) + 1)), ids


def test_a_write_audited_in_one_statement_waits_for_the_tenants_writer_instead_of_deadlocking(
    client: GraphQLClient, database_url: str
) -> None:
    """The tenant's writer lock (app.check_quota's advisory lock, taken at the end of a write
    statement) is held here, as a document insert holds it before its audit entry; meanwhile
    createProject writes its row and its audit entry in one statement. Both must finish: the
    numbering takes the writer lock before the counter (0011), so nobody waits in a circle."""
    alice = register(client, name="lock-order")
    with psycopg.connect(database_url) as writer:
        writer.execute("SELECT pg_advisory_xact_lock(1769172, hashtext(%s))", (alice.tenant_id,))
        with ThreadPoolExecutor(max_workers=1) as pool:
            created = pool.submit(client.execute, CREATE, {"n": "concurrent"}, token=alice.access_token)
            time.sleep(0.5)  # createProject now waits for the writer lock
            writer.execute(
                "INSERT INTO audit_log (tenant_id, action, target_type, target_id)"
                " VALUES (%s, 'add_document', 'Document', 'x')",
                (alice.tenant_id,),
            )
            writer.commit()
            answer = created.result(timeout=30)
    assert not answer.get("errors"), answer
