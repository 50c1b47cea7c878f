"""document_chunks follows the tenant-table conventions: in SQL, as the app role, a tenant
sees and writes only its own passages (row-level security, forced)."""

import asyncpg
import pytest

from tests.helpers import as_app
from tests.support.graphql import GraphQLClient, register

ADD = "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }"


@pytest.fixture(scope="module")
def documents(client: GraphQLClient) -> dict[str, str]:
    a, b = register(client, name="rls-a"), register(client, name="rls-b")
    a_doc = client.data(ADD, {"i": {"title": "A", "content": "Passage secret de A."}}, token=a.access_token)
    return {"a_tenant": a.tenant_id, "b_tenant": b.tenant_id, "a_doc": a_doc["addDocument"]["id"]}


async def test_a_tenant_sees_no_passage_of_another_tenant(
    database_url: str, documents: dict[str, str]
) -> None:
    async with as_app(database_url, tenant_id=documents["b_tenant"]) as sql:
        assert (
            await sql.fetchval(
                "SELECT count(*) FROM document_chunks WHERE document_id = $1", documents["a_doc"]
            )
            == 0
        )
    async with as_app(database_url, tenant_id=documents["a_tenant"]) as sql:
        assert (
            await sql.fetchval(
                "SELECT count(*) FROM document_chunks WHERE document_id = $1", documents["a_doc"]
            )
            == 1
        )


async def test_a_tenant_cannot_write_a_passage_into_another_tenant(
    database_url: str, documents: dict[str, str]
) -> None:
    async with as_app(database_url, tenant_id=documents["b_tenant"]) as sql:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await sql.execute(
                "INSERT INTO document_chunks (tenant_id, document_id, position, start_offset, title, content)"
                " VALUES ($1, $2, 9, 0, 'x', 'planted')",
                documents["a_tenant"],
                documents["a_doc"],
            )


async def test_a_passage_cannot_point_at_another_tenants_document(
    database_url: str, documents: dict[str, str]
) -> None:
    async with as_app(database_url, tenant_id=documents["b_tenant"]) as sql:
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await sql.execute(
                "INSERT INTO document_chunks (tenant_id, document_id, position, start_offset, title, content)"
                " VALUES ($1, $2, 9, 0, 'x', 'planted')",
                documents["b_tenant"],
                documents["a_doc"],
            )
