"""Without pgvector in the database, `migrate` and `serve` say what is missing and how to
enable it, and everything else works: every search is lexical (HYBRID included), SEMANTIC is
refused with the reason, documents stay unindexed.

The server here has pgvector, so the database is given a login that may not create it (it is
not a trusted extension), the situation of a managed database whose admin has not enabled it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import pytest

from iafactory.governance import operations
from tests.helpers import cli
from tests.knowledge.indexing import require_semantic, wait_indexed
from tests.support.database import on_database, run_sql, scratch_database, sql
from tests.support.graphql import GraphQLClient, error_codes, register
from tests.support.server import Server, start_server

ADD = "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id indexedAt } }"
SEARCH = """
query($q: String!, $mode: SearchMode) { searchKnowledge(query: $q, mode: $mode) { document { id } } }
"""
VAT = {
    "title": "TVA trimestrielle",
    "content": "Les déclarations de TVA trimestrielles sont à déposer avant le 20 du mois suivant.",
}


def as_login(url: str, login: str, password: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{login}:{password}@{parts.netloc.rpartition('@')[2]}"))


@pytest.fixture(scope="module")
def superuser_url(admin_url: str) -> Iterator[str]:
    """A database migrated as if pgvector had been missing: no extension, so neither the
    vectors' table nor their search function."""
    with scratch_database(admin_url, prefix="iafactory_nopgv") as url:
        run_sql(url, "DROP TABLE IF EXISTS chunk_embeddings", "DROP EXTENSION IF EXISTS vector CASCADE")
        yield url


@pytest.fixture(scope="module")
def database(superuser_url: str) -> Iterator[str]:
    """That database as a login that may not create the extension (a member of the roles it
    must switch to, as CONVENTIONS.md asks of the DATABASE_URL login)."""
    login, password = f"iafactory_nopgv_{secrets.token_hex(3)}", secrets.token_hex(8)
    run_sql(
        superuser_url,
        f"CREATE ROLE {login} LOGIN CREATEROLE PASSWORD '{password}'"
        " IN ROLE iafactory_owner, iafactory_app, iafactory_superadmin, iafactory_credentials",
    )
    try:
        yield as_login(superuser_url, login, password)
    finally:
        run_sql(superuser_url, f"DROP OWNED BY {login}", f"DROP ROLE {login}")


@pytest.fixture(scope="module")
def nopgv_server(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(database, tmp_path_factory.mktemp("nopgv"))
    yield running
    running.stop()


def test_migrate_says_semantic_search_is_off_why_and_how_to_enable_it(database: str) -> None:
    done = cli("migrate", database_url=database)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("database at revision"), done.stdout
    assert "semantic search: OFF, the login role may not create the extension pgvector" in done.stderr
    assert "Lexical search works" in done.stderr
    assert "CREATE EXTENSION vector" in done.stderr, "and how to enable it"


def test_serve_says_it_too(nopgv_server: Server) -> None:
    log = nopgv_server.log.read_text()
    assert "semantic search: OFF, the login role may not create the extension pgvector" in log, log


def test_searches_are_lexical_and_semantic_is_refused_with_the_reason(nopgv_server: Server) -> None:
    client = GraphQLClient(nopgv_server.graphql_url)
    owner = register(client, name="nopgv")
    added = client.data(ADD, {"i": VAT}, token=owner.access_token)["addDocument"]
    assert added["indexedAt"] is None
    for mode in ("HYBRID", "LEXICAL", None):
        hits = client.data(SEARCH, {"q": "déclarations TVA", "mode": mode}, token=owner.access_token)
        assert [hit["document"]["id"] for hit in hits["searchKnowledge"]] == [added["id"]], mode
    refused = client.execute(SEARCH, {"q": "When is VAT due?", "mode": "SEMANTIC"}, token=owner.access_token)
    assert error_codes(refused) == ["BAD_USER_INPUT"], refused
    assert "Semantic search is not available" in refused["errors"][0]["message"]
    assert "pgvector" in refused["errors"][0]["message"], "the reason"


def test_reindex_fails_in_one_line_saying_why(database: str) -> None:
    done = cli("knowledge", "reindex", database_url=database)
    assert done.returncode == 1
    said = "iafactory: semantic search: OFF, the login role may not create"
    assert done.stderr.startswith(said), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_an_import_leaves_the_vectors_out_and_queues_every_document(
    client: GraphQLClient, database_url: str, superuser_url: str, database: str, tmp_path: Path
) -> None:
    require_semantic(database_url)  # the file must carry vectors: exported where pgvector is
    owner = register(client, name="carried")
    client.data(ADD, {"i": VAT}, token=owner.access_token)
    wait_indexed(client, owner.access_token)
    path = tmp_path / "carried.jsonl"
    with path.open("wb") as out:
        on_database(
            database_url,
            lambda c: operations.export_to(c, owner.tenant_slug, out, audio=True, password_hashes=False),
        )
    assert '"chunk_embeddings"' in path.read_text(), "the export carries the vectors"
    done = cli("tenant", "import", str(path), database_url=database)
    assert done.returncode == 0, done.stderr
    rows = sql(
        superuser_url,
        "SELECT d.indexed_at, d.embedding_bytes, j.status FROM documents d"
        " LEFT JOIN embedding_jobs j ON j.tenant_id = d.tenant_id AND j.document_id = d.id"
        " WHERE d.tenant_id = $1",
        UUID(owner.tenant_id),
    )
    assert [tuple(row) for row in rows] == [(None, 0, "QUEUED")], (
        "not indexed here, no vectors counted as storage, queued for when pgvector is installed"
    )
