"""Per-tenant portability: `iafactory tenant export | delete | import` and OWNERs' own export.

The round trip is checked against the catalog, not a list of tables: every table with a
tenant_id column is compared, and after the erasure every table and every uuid or text
column of the database is searched for the tenant's id.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from iafactory.governance import operations
from iafactory.governance.portability import WITHHELD_COLUMNS, PortabilityError
from iafactory.knowledge.embedding import MODEL
from tests.governance.helpers import override, upload
from tests.helpers import add_member, cli, login
from tests.knowledge.indexing import require_semantic, semantic_installed, wait_indexed
from tests.support.database import on_database, sql
from tests.support.graphql import Account, GraphQLClient, register
from tests.support.server import Server

TENANT_TABLES = """
SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
   AND EXISTS (SELECT FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
 ORDER BY 1
"""
TEXT_COLUMNS = """
SELECT c.oid::regclass::text AS name, a.attname AS column_name FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg_toast%' AND a.atttypid IN ('uuid'::regtype, 'text'::regtype)
"""
# Not exported on purpose: sessions are credentials, not data (a support session's user is
# the operator's super-admin; its trace stays in the audit log).
SESSIONS = frozenset({"refresh_tokens", "support_sessions"})
COUNTERS = frozenset({"tenant_sequences"})  # not exported: rebuilt from the rows they number
QUEUE = frozenset({"embedding_jobs"})  # nor the indexing queue: what lacks vectors is queued again on import


def tenant_tables(database_url: str) -> list[str]:
    return [r["name"] for r in sql(database_url, TENANT_TABLES)]


def snapshot(database_url: str, tenant_id: str) -> dict[str, list[str]]:
    """Every row of the tenant in every tenant table, as sorted JSON texts, without the
    credentials an export withholds (an import gives them fresh values)."""

    def query(table: str) -> str:
        withheld = "".join(f" - '{column}'" for column in WITHHELD_COLUMNS.get(table, {}))
        return f"SELECT (to_jsonb(t){withheld})::text FROM {table} t WHERE tenant_id = $1"

    async def read(connection: asyncpg.Connection) -> dict[str, list[str]]:
        tables = [r["name"] for r in await connection.fetch(TENANT_TABLES) if r["name"] not in SESSIONS]
        tenant = uuid.UUID(tenant_id)
        return {t: sorted(r[0] for r in await connection.fetch(query(t), tenant)) for t in tables}

    return on_database(database_url, read)


def places_naming(database_url: str, value: str) -> list[str]:
    """Every table.column (uuid or text) of the database in which `value` appears."""

    async def scan(connection: asyncpg.Connection) -> list[str]:
        found = []
        for row in await connection.fetch(TEXT_COLUMNS):
            column = '"' + row["column_name"] + '"'
            if await connection.fetchval(
                f"SELECT EXISTS (SELECT FROM {row['name']} WHERE {column}::text = $1)", value
            ):
                found.append(f"{row['name']}.{row['column_name']}")
        return found

    return on_database(database_url, scan)


def erase(database_url: str, slug: str) -> None:
    """`tenant delete SLUG --yes`, in this process (the CLI itself is tested once, below)."""
    on_database(database_url, lambda c: operations.delete(c, slug, erase_orphan_users=False))


def restore(database_url: str, path: Path, *, slug: str | None = None) -> str | None:
    """`tenant import FILE`, in this process: None when it succeeded, else the refusal."""
    try:
        with path.open("rb") as lines:
            on_database(database_url, lambda c: operations.import_from(c, lines, slug=slug))
    except PortabilityError as error:
        return str(error)
    return None


def populate(gov_client: GraphQLClient, client: GraphQLClient, database_url: str, owner: Account) -> None:
    """Data in every tenant table: projects, documents and chunks, a member, audio and jobs with
    segments, a quota override, audit rows, usage records."""
    token = owner.access_token
    project = gov_client.data(
        'mutation { createProject(input: {name: "Atlas", description: "d"}) { id } }', token=token
    )["createProject"]["id"]
    gov_client.data(
        'mutation($p: ID!) { addDocument(input: {title: "Réseaux", content: "Les réseaux de'
        ' neurones.\\n\\nDeuxième paragraphe.", projectId: $p}) { id } }',
        {"p": project},
        token=token,
    )
    add_member(gov_client, owner, register(client, name="member"))
    gov_client.data('mutation { inviteMember(email: "invited@example.test") { token } }', token=token)
    job = upload(gov_client, token).json()["data"]["transcribeAudio"]["id"]
    sql(
        database_url,
        "INSERT INTO transcript_segments"
        " (tenant_id, transcription_id, position, start_seconds, end_seconds, text)"
        " VALUES ($1, $2, 1, 0, 1.5, 'hello'), ($1, $2, 2, 1.5, 3.25, 'world')",
        uuid.UUID(owner.tenant_id),
        uuid.UUID(job),
    )
    override(database_url, owner.tenant_id, "max_projects", 50)
    if semantic_installed(database_url):
        wait_indexed(gov_client, token)  # vectors exported with the rest
    gov_client.data("{ usage { projects } }", token=token)


def export(database_url: str, slug: str, path: Path, *, audio: bool = True) -> dict[str, Any]:
    """`tenant export SLUG -o PATH`, in this process; returns the file's header."""
    with path.open("wb") as out:
        on_database(
            database_url, lambda c: operations.export_to(c, slug, out, audio=audio, password_hashes=False)
        )
    header: dict[str, Any] = json.loads(path.read_bytes().split(b"\n", 1)[0])
    return header


def test_export_delete_import_restores_the_tenant_identically_and_touches_no_other(
    gov_client: GraphQLClient,
    client: GraphQLClient,
    database_url: str,
    tmp_path: Path,
    new_tenant: Callable[..., Account],
) -> None:
    alice, bystander = new_tenant("portable"), new_tenant("bystander")
    populate(gov_client, client, database_url, alice)
    populate(gov_client, client, database_url, bystander)
    path = tmp_path / "alice.jsonl"
    # Every call above went through the governed server: wait for its 0.2 s usage flush, so
    # that nothing changes behind the test's back from here on.
    time.sleep(0.6)
    header = export(database_url, alice.tenant_slug, path)
    exported = snapshot(database_url, alice.tenant_id)
    others = snapshot(database_url, bystander.tenant_id)
    assert header["format"] == "iafactory-tenant-export"
    assert header["version"] == 1
    assert set(header["tables"]) == set(tenant_tables(database_url)) - SESSIONS - COUNTERS - QUEUE, (
        "every tenant table is exported"
    )
    assert set(header["excluded"]) == SESSIONS | COUNTERS | QUEUE
    assert all(exported[t] for t in header["tables"]), f"populate() left a table empty: {exported.keys()}"

    erase(database_url, alice.tenant_slug)
    assert places_naming(database_url, alice.tenant_id) == [], "no row anywhere still names the tenant"
    assert snapshot(database_url, bystander.tenant_id) == others, (
        "the other tenant is untouched by the erasure"
    )

    assert restore(database_url, path) is None
    assert snapshot(database_url, alice.tenant_id) == exported, "every table holds exactly what was exported"
    assert snapshot(database_url, bystander.tenant_id) == others, "and the other tenant is still untouched"
    fresh = login(client, alice.email, tenant_slug=alice.tenant_slug)["accessToken"]
    names = client.data("{ projects { nodes { name } } }", token=fresh)["projects"]["nodes"]
    assert names == [{"name": "Atlas"}], "the owner signs in again and finds the data"


def test_an_import_gives_new_vectors_to_documents_exported_with_another_models_vectors(
    gov_client: GraphQLClient, database_url: str, tmp_path: Path, new_tenant: Callable[..., Account]
) -> None:
    require_semantic(database_url)
    alice = new_tenant("remodel")
    gov_client.data(
        'mutation { addDocument(input: {title: "TVA", content: "La TVA est due le 20."}) { id } }',
        token=alice.access_token,
    )
    wait_indexed(gov_client, alice.access_token)
    tenant = uuid.UUID(alice.tenant_id)
    sql(database_url, "UPDATE chunk_embeddings SET model = 'an-older-model' WHERE tenant_id = $1", tenant)
    path = tmp_path / "remodel.jsonl"
    export(database_url, alice.tenant_slug, path)
    erase(database_url, alice.tenant_slug)
    assert restore(database_url, path) is None
    deadline = time.monotonic() + 60
    while True:
        models = sql(database_url, "SELECT DISTINCT model FROM chunk_embeddings WHERE tenant_id = $1", tenant)
        unindexed = sql(
            database_url, "SELECT count(*) FROM documents WHERE tenant_id = $1 AND indexed_at IS NULL", tenant
        )[0][0]
        if [row[0] for row in models] == [MODEL] and unindexed == 0:
            break
        assert time.monotonic() < deadline, f"still {models} and {unindexed} unindexed after the import"
        time.sleep(0.2)


@pytest.mark.slow
def test_the_cli_exports_deletes_and_imports_a_tenant(
    gov_client: GraphQLClient, database_url: str, tmp_path: Path, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("shell")
    gov_client.data('mutation { createProject(input: {name: "Shell"}) { id } }', token=alice.access_token)
    path = tmp_path / "shell.jsonl"
    done = cli(
        "tenant",
        "export",
        alice.tenant_slug,
        "-o",
        str(path),
        "--with-password-hashes",
        database_url=database_url,
    )
    assert done.returncode == 0, done.stderr
    assert "projects 1" in done.stderr, "a summary of what was written"
    assert path.stat().st_mode & 0o777 == 0o600, "an export is private to the operator"
    assert json.loads(path.read_bytes().split(b"\n", 1)[0])["password_hashes"] is True
    done = cli(
        "tenant", "delete", alice.tenant_slug, "--yes", "--erase-orphan-users", database_url=database_url
    )
    assert done.returncode == 0, done.stderr
    assert sql(database_url, "SELECT count(*) FROM users WHERE email = $1", alice.email)[0][0] == 0, (
        "--erase-orphan-users took the owner, a member of no other tenant"
    )
    done = cli("tenant", "import", str(path), database_url=database_url)
    assert done.returncode == 0, done.stderr
    assert login(gov_client, alice.email, tenant_slug=alice.tenant_slug)["accessToken"], (
        "with the hashes in the file, the recreated owner signs in with the same password"
    )


def test_the_erasure_leaves_a_receipt_naming_the_tenant_only_by_its_digest(
    database_url: str, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("receipt")
    erase(database_url, alice.tenant_slug)
    digest = hashlib.sha256(alice.tenant_id.encode()).hexdigest()
    [receipt] = sql(
        database_url, "SELECT action, details FROM operator_actions WHERE tenant_digest = $1", digest
    )
    assert receipt["action"] == "erase"
    assert json.loads(receipt["details"])["rows_deleted"]["tenants"] == 1


def test_deleting_a_tenant_needs_yes(database_url: str, new_tenant: Callable[..., Account]) -> None:
    alice = new_tenant("kept")
    done = cli("tenant", "delete", alice.tenant_slug, database_url=database_url)
    assert done.returncode != 0
    assert "--yes" in done.stderr
    assert sql(database_url, "SELECT count(*) FROM tenants WHERE slug = $1", alice.tenant_slug)[0][0] == 1


def test_import_refuses_a_tenant_already_here_and_a_corrupt_or_foreign_file(
    database_url: str, tmp_path: Path, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("guarded")
    path = tmp_path / "guarded.jsonl"
    export(database_url, alice.tenant_slug, path)
    assert "already exists" in str(restore(database_url, path))

    lines = path.read_bytes().splitlines(keepends=True)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_bytes(path.read_bytes().replace(b'"action":"register"', b'"action":"regixter"'))
    erase(database_url, alice.tenant_slug)
    assert "checksum" in str(restore(database_url, tampered))

    # A file whose checksum is right but one row claims another tenant: refused, nothing written.
    other = str(uuid.uuid4())
    rows = lines[:-1]
    rows[-1] = rows[-1].replace(alice.tenant_id.encode(), other.encode())
    digest = hashlib.sha256(b"".join(rows)).hexdigest()
    trailer = json.loads(lines[-1])
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_bytes(b"".join(rows) + json.dumps({**trailer, "sha256": digest}).encode() + b"\n")
    assert "another tenant" in str(restore(database_url, foreign))
    assert (
        sql(database_url, "SELECT count(*) FROM tenants WHERE id = $1", uuid.UUID(alice.tenant_id))[0][0] == 0
    )


def test_import_under_another_slug_when_the_exported_one_is_taken(
    database_url: str, tmp_path: Path, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("moved")
    path = tmp_path / "moved.jsonl"
    export(database_url, alice.tenant_slug, path)
    erase(database_url, alice.tenant_slug)
    sql(database_url, "INSERT INTO tenants (name, slug) VALUES ('Squatter', $1)", alice.tenant_slug)
    assert "--slug" in str(restore(database_url, path)), "the refusal says how to import anyway"
    new_slug = f"{alice.tenant_slug}-restored"
    assert restore(database_url, path, slug=new_slug) is None
    assert (
        sql(database_url, "SELECT id::text FROM tenants WHERE slug = $1", new_slug)[0][0] == alice.tenant_id
    )


def test_an_export_without_audio_leaves_the_audio_out_and_keeps_the_transcriptions(
    gov_client: GraphQLClient, database_url: str, tmp_path: Path, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("silent")
    upload(gov_client, alice.access_token)
    path = tmp_path / "silent.jsonl"
    header = export(database_url, alice.tenant_slug, path, audio=False)
    assert header["audio"] is False
    assert "audio_files" not in header["tables"]
    records = [json.loads(line) for line in path.read_bytes().splitlines()[1:-1]]
    [job] = [r["row"] for r in records if r["table"] == "transcriptions"]
    assert job["audio_id"] is None, "the reference to the left-out audio is exported as null"
    assert not [r for r in records if r["table"] == "audio_files"]
    erase(database_url, alice.tenant_slug)
    assert restore(database_url, path) is None
    assert (
        sql(
            database_url,
            "SELECT count(*) FROM transcriptions WHERE tenant_id = $1",
            uuid.UUID(alice.tenant_id),
        )[0][0]
        == 1
    )


# --- OWNERs' own export ----------------------------------------------------------------------

REQUEST = """mutation($audio: Boolean) {
  requestTenantExport(includeAudio: $audio) { url expiresAt includeAudio formatVersion }
}"""


def test_an_owner_downloads_the_tenants_export_through_a_short_lived_link(
    governed: Server, gov_client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("self-service")
    gov_client.data('mutation { createProject(input: {name: "Mine"}) { id } }', token=alice.access_token)
    link = gov_client.data(REQUEST, {"audio": False}, token=alice.access_token)["requestTenantExport"]
    assert (link["includeAudio"], link["formatVersion"]) == (False, 1)
    response = httpx.get(governed.url + link["url"])
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    records = [json.loads(line) for line in response.content.splitlines()]
    assert records[0]["tenant_id"] == alice.tenant_id
    assert records[0]["password_hashes"] is False
    assert {"table": "tenants"}.items() <= records[1].items()
    assert any(r.get("table") == "projects" and r["row"]["name"] == "Mine" for r in records)
    assert all("password_hash" not in r.get("row", {}) for r in records), "never a password hash"
    assert records[-1]["end"] is True
    downloads = sql(
        database_url,
        "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'export.download'",
        uuid.UUID(alice.tenant_id),
    )[0][0]
    assert downloads == 1, "the download is audited"


def test_only_an_owner_may_request_an_export(
    gov_client: GraphQLClient, client: GraphQLClient, new_tenant: Callable[..., Account]
) -> None:
    owner, member = new_tenant("boss"), new_tenant("staff")
    add_member(client, owner, member, role="ADMIN")
    token = login(client, member.email, tenant_slug=owner.tenant_slug)["accessToken"]
    body = gov_client.execute(REQUEST, token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", "an ADMIN is not enough"


def test_an_export_link_is_checked_against_the_tenant_and_cannot_be_forged(
    governed: Server, gov_client: GraphQLClient, new_tenant: Callable[..., Account]
) -> None:
    alice, mallory = new_tenant("linked"), new_tenant("mallory")
    url = governed.url + gov_client.data(REQUEST, token=alice.access_token)["requestTenantExport"]["url"]
    other_tenant = httpx.get(url, headers={"Authorization": f"Bearer {mallory.access_token}"})
    assert other_tenant.status_code == 404, "a signed-in caller of another tenant gets nothing"
    forged = httpx.get(url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB"))
    assert forged.status_code == 401
    assert httpx.get(f"{governed.url}/exports/{alice.access_token}").status_code == 401, (
        "an access token is not a download link"
    )
