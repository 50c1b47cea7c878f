"""Issue 9, finding 8: a token that the database no longer backs costs nothing. A removed
member's unexpired token spent the tenant's request budget (its owner got 429) and was billed
to the tenant, and its uploads were copied and probed before the token was checked."""

from __future__ import annotations

import json
import time
import uuid

import psycopg

from tests.helpers import add_member, create_superadmin, only_code
from tests.security.conftest import login_from, new_address
from tests.support.graphql import PASSWORD, GraphQLClient, register

PROJECTS = "{ projects { totalCount } }"
BUDGET = 6  # requests per minute, set as an operator's override
UPLOAD = "mutation($file: Upload!) { transcribeAudio(file: $file) { id } }"


def api_calls(database_url: str, tenant_id: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT coalesce(sum(api_calls), 0) FROM usage_records WHERE tenant_id = %s", (tenant_id,)
        ).fetchone()
    return int(row[0]) if row else 0


def removed_member(client: GraphQLClient, database_url: str) -> tuple[str, str, str]:
    """(owner's token, a removed member's still unexpired token in that tenant, tenant id)."""
    owner, bob = register(client, name="owner"), register(client, name="removed")
    add_member(client, owner, bob)
    bob_in_owner = login_from(
        client, bob.email, PASSWORD, address=new_address(), tenant_slug=owner.tenant_slug
    )
    token = bob_in_owner["data"]["login"]["accessToken"]
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO tenant_quota_overrides (tenant_id, quota, value)"
            " VALUES (%s, 'requests_per_minute', %s)",
            (owner.tenant_id, BUDGET),
        )
    client.data(
        "mutation($u: ID!) { removeMember(userId: $u) }", {"u": bob.user_id}, token=owner.access_token
    )
    return owner.access_token, token, owner.tenant_id


def multipart(client: GraphQLClient, token: str, content: bytes) -> dict[str, object]:
    response = client.http.post(
        client.url,
        data={
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": ("notes.txt", content, "text/plain")},
        headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"},
    )
    body: dict[str, object] = response.json()
    return body


def test_a_removed_members_token_spends_none_of_the_tenants_budget(
    guarded_client: GraphQLClient, database_url: str
) -> None:
    owner, removed, _ = removed_member(guarded_client, database_url)
    for _ in range(3 * BUDGET):
        assert only_code(guarded_client.execute(PROJECTS, token=removed)) == "UNAUTHENTICATED"
    for _ in range(3):
        assert guarded_client.execute(PROJECTS, token=owner).get("errors") is None, (
            "the owner still has its budget"
        )


def test_a_removed_members_requests_are_billed_to_nobody(
    guarded_client: GraphQLClient, database_url: str
) -> None:
    _, removed, tenant_id = removed_member(guarded_client, database_url)
    time.sleep(0.6)  # the guarded server flushes its counts every 0.2 s
    before = api_calls(database_url, tenant_id)
    for _ in range(10):
        guarded_client.execute(PROJECTS, token=removed)
    time.sleep(0.6)
    assert api_calls(database_url, tenant_id) == before


def test_an_upload_with_a_removed_members_token_is_refused_before_it_is_probed(
    guarded_client: GraphQLClient, database_url: str
) -> None:
    _, removed, tenant_id = removed_member(guarded_client, database_url)
    body = multipart(guarded_client, removed, b"not audio at all " * 100)
    assert only_code(body) == "UNAUTHENTICATED", "refused by the token check, not by the probe"  # type: ignore[arg-type]
    with psycopg.connect(database_url, autocommit=True) as connection:
        stored = connection.execute("SELECT count(*) FROM audio_files WHERE tenant_id = %s", (tenant_id,))
        assert stored.fetchone() == (0,)


def test_an_upload_from_a_superadmin_without_a_tenant_is_refused_before_it_is_probed(
    client: GraphQLClient, guarded_client: GraphQLClient, database_url: str
) -> None:
    root = create_superadmin(client, database_url)
    body = multipart(guarded_client, root, uuid.uuid4().bytes * 100)
    assert only_code(body) == "TENANT_REQUIRED"  # type: ignore[arg-type]
