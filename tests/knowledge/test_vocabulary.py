"""The vocabulary that the trigram fallback searches (knowledge_words) follows the content:
a word arrives with the first chunk that uses it and leaves with the last one, and
`documents.reindex` rebuilds chunks (and so words) from the documents alone."""

import uuid
from typing import Any

import pytest

from iafactory.db.queries import documents
from tests.support.database import superuser
from tests.support.graphql import GraphQLClient, register

ADD = "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }"
DELETE = "mutation($id: ID!) { deleteDocument(id: $id) }"


async def words(database_url: str, tenant_id: str, *candidates: str) -> set[str]:
    async with superuser(database_url) as connection:
        rows = await connection.fetch(
            "SELECT word FROM knowledge_words WHERE tenant_id = $1 AND word = ANY($2::text[])",
            uuid.UUID(tenant_id),
            list(candidates),
        )
    return {row["word"] for row in rows}


@pytest.fixture
def tenant(client: GraphQLClient) -> Any:
    return register(client, name="vocabulary")


async def test_a_word_leaves_the_vocabulary_with_the_last_document_using_it(
    client: GraphQLClient, database_url: str, tenant: Any
) -> None:
    token = tenant.access_token
    first = client.data(
        ADD, {"i": {"title": "Un", "content": "Le quetzalcoatl et le xylophone."}}, token=token
    )
    client.data(ADD, {"i": {"title": "Deux", "content": "Un autre xylophone."}}, token=token)
    assert await words(database_url, tenant.tenant_id, "quetzalcoatl", "xylophone") == {
        "quetzalcoatl",
        "xylophone",
    }

    client.data(DELETE, {"id": first["addDocument"]["id"]}, token=token)
    assert await words(database_url, tenant.tenant_id, "quetzalcoatl", "xylophone") == {"xylophone"}, (
        "a deleted document's own words must not linger; a word another document uses stays"
    )


async def test_reindexing_rebuilds_chunks_and_vocabulary_from_the_documents(
    client: GraphQLClient, database_url: str, tenant: Any
) -> None:
    added = client.data(
        ADD, {"i": {"title": "Notes", "content": "Le mot ornithorynque."}}, token=tenant.access_token
    )["addDocument"]["id"]
    async with superuser(database_url) as connection:
        await connection.execute("DELETE FROM document_chunks WHERE document_id = $1", uuid.UUID(added))
        assert await words(database_url, tenant.tenant_id, "ornithorynque") == set()
        written = await documents.reindex(
            connection, tenant_id=uuid.UUID(tenant.tenant_id), document_ids=[uuid.UUID(added)]
        )
    assert written == 1
    assert await words(database_url, tenant.tenant_id, "ornithorynque") == {"ornithorynque"}
    hits = client.data(
        '{ searchKnowledge(query: "ornithorinque") { document { id } } }', token=tenant.access_token
    )["searchKnowledge"]
    assert [hit["document"]["id"] for hit in hits] == [added], "found again, misspelt"


def test_concurrent_writers_of_one_tenant_share_new_words_without_deadlock(
    client: GraphQLClient, tenant: Any
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    words_in_common = " ".join(f"motcommun{n}" for n in range(50))  # new words, in every document

    def add(n: int) -> dict[str, Any]:
        body: dict[str, Any] = client.execute(
            ADD, {"i": {"title": f"T{n}", "content": f"{words_in_common} seul{n}"}}, token=tenant.access_token
        )
        return body

    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(pool.map(add, range(16)))
    assert [body.get("errors") for body in bodies] == [None] * 16
    total = client.data("{ documents { totalCount } }", token=tenant.access_token)["documents"]["totalCount"]
    assert total == 16
