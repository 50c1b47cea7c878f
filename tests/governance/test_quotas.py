"""Plan quotas, enforced by the database in the writing transaction: the write that would pass a
limit is refused with QUOTA_EXCEEDED and nothing of its operation is kept; `usage` reports
consumption against the limits."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import asyncpg
import httpx
import pytest

from tests.governance.helpers import SPEECH, override, upload
from tests.helpers import as_app
from tests.support.database import sql, superuser
from tests.support.graphql import Account, GraphQLClient

CREATE = "mutation($name: String!) { createProject(input: {name: $name}) { id } }"
ADD_DOCUMENT = "mutation($t: String!, $c: String!) { addDocument(input: {title: $t, content: $c}) { id } }"
CANCEL = "mutation($id: ID!) { cancelTranscription(id: $id) { status } }"
USAGE = """{ usage { projects documents storageBytes audioSecondsThisMonth
            limits { maxProjects maxStorageBytes maxAudioSecondsPerMonth requestsPerMinute } } }"""


def count(database_url: str, table: str, tenant_id: str) -> int:
    return int(
        sql(database_url, f"SELECT count(*) FROM {table} WHERE tenant_id = $1", uuid.UUID(tenant_id))[0][0]
    )


def code_of(response: httpx.Response | dict) -> str | None:  # type: ignore[type-arg]
    body = response.json() if isinstance(response, httpx.Response) else response
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def test_usage_reports_consumption_and_the_plan_limits(
    client: GraphQLClient, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("usage")
    client.data(CREATE, {"name": "one"}, token=alice.access_token)
    client.data(ADD_DOCUMENT, {"t": "note", "c": "twelve bytes"}, token=alice.access_token)
    usage = client.data(USAGE, token=alice.access_token)["usage"]
    assert usage == {
        "projects": 1,
        "documents": 1,
        "storageBytes": len("note") + len("twelve bytes"),
        "audioSecondsThisMonth": 0.0,
        "limits": {
            "maxProjects": 20,
            "maxStorageBytes": 100 * 1024 * 1024,
            "maxAudioSecondsPerMonth": 3600.0,
            "requestsPerMinute": 120,
        },
    }, "a new tenant is on FREE (CONTRACT.md's plan table)"


def test_the_project_quota_refuses_the_project_that_would_pass_it_and_writes_nothing(
    client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("projects")
    for number in range(20):
        client.data(CREATE, {"name": f"project {number}"}, token=alice.access_token)
    refused = client.execute(CREATE, {"name": "one too many"}, token=alice.access_token)
    assert code_of(refused) == "QUOTA_EXCEEDED", refused
    assert "20 projects" in refused["errors"][0]["message"], "the message names the limit"
    assert count(database_url, "projects", alice.tenant_id) == 20, "the 21st project was not written"
    audited = sql(
        database_url,
        "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'create_project'",
        uuid.UUID(alice.tenant_id),
    )[0][0]
    assert audited == 20, "nor its audit row: the whole operation rolled back"


async def test_concurrent_creates_cannot_pass_the_project_quota_together(
    client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("race")
    async with superuser(database_url) as connection:
        await connection.execute(
            "INSERT INTO tenant_quota_overrides (tenant_id, quota, value) VALUES ($1, 'max_projects', 3)",
            uuid.UUID(alice.tenant_id),
        )
        async with httpx.AsyncClient(timeout=30) as http:
            responses = await asyncio.gather(
                *(
                    http.post(
                        client.url,
                        json={"query": CREATE, "variables": {"name": f"racer {i}"}},
                        headers={"Authorization": f"Bearer {alice.access_token}"},
                    )
                    for i in range(10)
                )
            )
        stored = await connection.fetchval(
            "SELECT count(*) FROM projects WHERE tenant_id = $1", uuid.UUID(alice.tenant_id)
        )
    codes = sorted(str(code_of(r)) for r in responses)
    assert codes == ["None"] * 3 + ["QUOTA_EXCEEDED"] * 7, (
        "exactly the limit's worth of concurrent creates succeed"
    )
    assert stored == 3


def test_the_storage_quota_refuses_the_document_that_would_pass_it(
    client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("storage")
    override(database_url, alice.tenant_id, "max_storage_bytes", 1000)
    client.data(ADD_DOCUMENT, {"t": "first", "c": "x" * 500}, token=alice.access_token)
    chunks_before = count(database_url, "document_chunks", alice.tenant_id)
    refused = client.execute(ADD_DOCUMENT, {"t": "second", "c": "y" * 600}, token=alice.access_token)
    assert code_of(refused) == "QUOTA_EXCEEDED", refused
    assert count(database_url, "documents", alice.tenant_id) == 1, "the document was not written"
    assert count(database_url, "document_chunks", alice.tenant_id) == chunks_before, "nor its chunks"
    usage = client.data(USAGE, token=alice.access_token)["usage"]
    assert usage["storageBytes"] == len("first") + 500
    assert usage["limits"]["maxStorageBytes"] == 1000, "usage shows the operator's override"
    client.data(
        ADD_DOCUMENT, {"t": "third", "c": "z" * 400}, token=alice.access_token
    )  # still fits: 905 bytes


def test_uploaded_audio_counts_toward_the_storage_quota(
    client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("audiobytes")
    override(database_url, alice.tenant_id, "max_storage_bytes", SPEECH.stat().st_size - 1)
    response = upload(client, alice.access_token)
    assert code_of(response) == "QUOTA_EXCEEDED", response.json()
    assert count(database_url, "audio_files", alice.tenant_id) == 0, "the audio was not stored"
    assert count(database_url, "transcriptions", alice.tenant_id) == 0, "and no job was queued"


def test_the_audio_quota_refuses_the_upload_that_would_pass_the_months_seconds(
    client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("minutes")
    override(database_url, alice.tenant_id, "max_audio_seconds_per_month", 30)
    first = upload(client, alice.access_token).json()
    assert not first.get("errors"), first
    seconds = first["data"]["transcribeAudio"]["duration"]
    assert 15 < seconds < 30, f"the clip is about 23 s: {seconds}"
    refused = upload(client, alice.access_token)
    assert code_of(refused) == "QUOTA_EXCEEDED", "a second clip would make about 46 s of 30"
    assert count(database_url, "transcriptions", alice.tenant_id) == 1
    assert count(database_url, "audio_files", alice.tenant_id) == 1
    usage = client.data(USAGE, token=alice.access_token)["usage"]
    assert usage["audioSecondsThisMonth"] == pytest.approx(seconds)


def test_a_cancelled_job_releases_its_audio_seconds(
    client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("release")
    override(database_url, alice.tenant_id, "max_audio_seconds_per_month", 30)
    job = upload(client, alice.access_token).json()["data"]["transcribeAudio"]
    client.data(CANCEL, {"id": job["id"]}, token=alice.access_token)  # queued: the test servers run no worker
    assert client.data(USAGE, token=alice.access_token)["usage"]["audioSecondsThisMonth"] == 0.0
    again = upload(client, alice.access_token).json()
    assert not again.get("errors"), "the cancelled job's seconds are free again"


async def test_a_duration_learnt_after_upload_is_checked_then_and_a_failure_never_is(
    new_tenant: Callable[..., Account], database_url: str
) -> None:
    """In SQL, as the app role: a worker that learns the duration late is refused like an
    upload; marking a job FAILED is never refused, even when the tenant is over its quota."""
    alice = new_tenant("late")
    tenant = alice.tenant_id
    insert = (
        "INSERT INTO transcriptions (tenant_id, filename, duration) VALUES ($1, 'late.wav', $2) RETURNING id"
    )
    async with as_app(database_url, tenant_id=tenant, user_id=alice.user_id) as sql_app:
        job = await sql_app.fetchval(insert, uuid.UUID(tenant), None)
        await sql_app.execute("SAVEPOINT before")
        with pytest.raises(asyncpg.PostgresError) as refused:
            await sql_app.execute(
                "UPDATE transcriptions SET duration = 4000 WHERE tenant_id = $1 AND id = $2",
                uuid.UUID(tenant),
                job,
            )
        assert refused.value.sqlstate == "IA402", "FREE allows 3600 s a month"
        await sql_app.execute("ROLLBACK TO SAVEPOINT before")
        await sql_app.execute(
            "UPDATE transcriptions SET duration = 3500 WHERE tenant_id = $1 AND id = $2",
            uuid.UUID(tenant),
            job,
        )
        failing = await sql_app.fetchval(insert, uuid.UUID(tenant), None)
        # 3500 + 500 would pass the 3600 s, but a FAILED job does not count: never refused.
        await sql_app.execute(
            "UPDATE transcriptions SET status = 'FAILED', duration = 500 WHERE tenant_id = $1 AND id = $2",
            uuid.UUID(tenant),
            failing,
        )
        used = await sql_app.fetchval(
            "SELECT audio_seconds_this_month FROM app.tenant_usage($1)", uuid.UUID(tenant)
        )
    assert used == pytest.approx(3500)


def test_the_quota_triggers_are_attached_to_every_table_a_plan_limits(database_url: str) -> None:
    """0004 attaches to the voice tables only where they exist: this catches a rename."""
    attached = {
        (r["table_name"], r["tgname"])
        for r in sql(
            database_url,
            "SELECT tgrelid::regclass::text AS table_name, tgname FROM pg_trigger"
            " WHERE tgname LIKE 'quota_%'",
        )
    }
    assert {
        ("projects", "quota_projects"),
        ("documents", "quota_storage"),
        ("audio_files", "quota_storage"),
        ("transcriptions", "quota_audio"),
        ("transcriptions", "quota_audio_counts"),
    } <= attached, attached


async def test_a_quota_error_names_the_plans_limit_in_human_units(
    new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("planlimit")
    async with as_app(database_url, tenant_id=alice.tenant_id, user_id=alice.user_id) as sql_app:
        with pytest.raises(asyncpg.PostgresError) as refused:
            await sql_app.execute(
                "INSERT INTO transcriptions (tenant_id, filename, duration) VALUES ($1, 'long.wav', 4000)",
                uuid.UUID(alice.tenant_id),
            )
    assert refused.value.sqlstate == "IA402"
    assert str(refused.value) == "Quota exceeded: the FREE plan allows at most 1 hour of audio per month."


def test_a_quota_error_says_when_the_limit_is_an_operators_override(
    client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("overridden")
    override(database_url, alice.tenant_id, "max_projects", 2)
    for number in range(2):
        client.data(CREATE, {"name": f"project {number}"}, token=alice.access_token)
    refused = client.execute(CREATE, {"name": "third"}, token=alice.access_token)
    assert code_of(refused) == "QUOTA_EXCEEDED", refused
    assert refused["errors"][0]["message"] == (
        "Quota exceeded: an operator's override allows this tenant at most 2 projects"
        " (instead of the FREE plan's limit)."
    ), "not 'the plan allows at most 2': the plan allows 20"
