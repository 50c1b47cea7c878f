"""Monthly usage records per tenant (API calls, audio seconds, peak storage), for invoices."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from iafactory.knowledge.embedding import VECTOR_BYTES
from tests.governance.helpers import upload
from tests.helpers import cli
from tests.knowledge.indexing import semantic_installed, wait_indexed_in_sql
from tests.support.database import sql
from tests.support.graphql import Account, GraphQLClient

ME = "{ me { role } }"
ADD = 'mutation($c: String!) { addDocument(input: {title: "t", content: $c}) { id } }'
DELETE = "mutation($id: ID!) { deleteDocument(id: $id) }"


def record(database_url: str, tenant_id: str) -> dict[str, Any]:
    rows = sql(
        database_url,
        "SELECT api_calls, audio_seconds, storage_peak_bytes FROM usage_records"
        " WHERE tenant_id = $1 AND period = date_trunc('month', now() AT TIME ZONE 'UTC')::date",
        uuid.UUID(tenant_id),
    )
    return dict(rows[0]) if rows else {}


def eventually(check: Callable[[], bool], *, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_api_calls_are_added_to_the_tenants_monthly_record(
    gov_client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("billed")
    for _ in range(5):
        gov_client.data(ME, token=alice.access_token)
    assert eventually(lambda: record(database_url, alice.tenant_id).get("api_calls") == 5), (
        f"the governed server flushes every 0.2 s: {record(database_url, alice.tenant_id)}"
    )


def test_the_storage_peak_stays_at_the_most_held_in_the_month(
    gov_client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("peak")
    big = gov_client.data(ADD, {"c": "x" * 5000}, token=alice.access_token)["addDocument"]["id"]
    gov_client.data(ADD, {"c": "y" * 100}, token=alice.access_token)
    vector = VECTOR_BYTES if semantic_installed(database_url) else 0  # a passage's search vector
    if vector:
        wait_indexed_in_sql(database_url, alice.tenant_id)
    gov_client.data(DELETE, {"id": big}, token=alice.access_token)
    held = 1 + 100 + vector
    assert record(database_url, alice.tenant_id)["storage_peak_bytes"] == (1 + 5000 + 5 * vector) + held, (
        "the peak is both documents at once, not what is left"
    )


def test_accepted_audio_seconds_are_recorded(
    gov_client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("audio-billed")
    seconds = upload(gov_client, alice.access_token).json()["data"]["transcribeAudio"]["duration"]
    assert record(database_url, alice.tenant_id)["audio_seconds"] == pytest.approx(seconds)


def test_operators_read_the_monthly_records_from_the_cli(
    gov_client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("invoiced")
    gov_client.data(ADD, {"c": "z" * 50}, token=alice.access_token)
    vector = VECTOR_BYTES if semantic_installed(database_url) else 0
    if vector:
        wait_indexed_in_sql(database_url, alice.tenant_id)
    assert eventually(lambda: record(database_url, alice.tenant_id).get("api_calls") == 1)
    done = cli(
        "billing", "usage", "--tenant", alice.tenant_slug, "--format", "json", database_url=database_url
    )
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert row["slug"] == alice.tenant_slug
    assert (row["api_calls"], row["storage_peak_bytes"], row["audio_seconds"]) == (1, 51 + vector, 0.0)
    assert row["period"].endswith("-01"), "one record per UTC month"
