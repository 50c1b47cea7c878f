"""Nested fields are batched per operation: the number of SQL statements does not grow with
the number of parents (no N+1). Counted by the server itself (`extensions.sqlStatements`,
switched on by IAFACTORY_EXPOSE_SQL_STATEMENT_COUNT=true on a server of its own), whose
hot reads all take the per-field resolvers (IAFACTORY_COMPILED_READS=false): the compiled
path's round trips are tests/schema/compiled/test_isolation.py's.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.database import run_sql
from tests.support.graphql import Account, GraphQLClient, register
from tests.support.server import Server, start_server

NESTED = """
query($n: Int!) {
  projects(first: $n) {
    nodes {
      documents(first: 5) { nodes { project { name } } }
      createdBy { email }
    }
  }
}
"""
# 1 opening the tenant transaction (role, settings, token check), 1 page of projects,
# 1 page of documents for all projects, 1 batch of Document.project, 1 batch of createdBy.
EXPECTED_STATEMENTS = 5
PROJECTS = 50


@pytest.fixture(scope="module")
def counting_server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = start_server(
        database_url, tmp_path, IAFACTORY_EXPOSE_SQL_STATEMENT_COUNT="true", IAFACTORY_COMPILED_READS="false"
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def tmp_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("counting")


@pytest.fixture(scope="module")
def counting(counting_server: Server) -> GraphQLClient:
    return GraphQLClient(counting_server.graphql_url)


@pytest.fixture(scope="module")
def owner_with_projects(counting: GraphQLClient, database_url: str) -> Account:
    """50 projects of one document each, and one with 7 (more than a page of 5)."""
    owner = register(counting, name="nplusone")
    # FREE allows 20 projects; operators change plans in the database.
    run_sql(database_url, f"UPDATE tenants SET plan = 'PRO' WHERE id = '{owner.tenant_id}'")
    for p in range(PROJECTS):
        project = counting.data(
            "mutation($n: String!) { createProject(input: {name: $n}) { id } }",
            {"n": f"P{p}"},
            token=owner.access_token,
        )["createProject"]["id"]
        for d in range(7 if p == 0 else 1):
            counting.data(
                "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }",
                {
                    "i": {
                        "title": f"D{p}.{d}",
                        "content": f"Document {d} of project {p}.",
                        "projectId": project,
                    }
                },
                token=owner.access_token,
            )
    return owner


@pytest.mark.parametrize("parents", [1, 10, 50])
def test_nested_projects_documents_and_creators_take_a_fixed_number_of_statements(
    counting: GraphQLClient, owner_with_projects: Account, parents: int
) -> None:
    body = counting.execute(NESTED, {"n": parents}, token=owner_with_projects.access_token)
    assert not body.get("errors"), body.get("errors")
    nodes = body["data"]["projects"]["nodes"]
    assert len(nodes) == parents
    assert all(node["createdBy"]["email"] == owner_with_projects.email for node in nodes)
    assert all(doc["project"]["name"] for node in nodes for doc in node["documents"]["nodes"])
    assert body["extensions"]["sqlStatements"] == EXPECTED_STATEMENTS, (
        f"{parents} projects took {body['extensions']['sqlStatements']} statements: a nested field"
        " is no longer batched"
    )


def test_the_statement_count_is_not_exposed_by_default(client: GraphQLClient) -> None:
    owner = register(client, name="nocount")
    body = client.execute("{ projects { totalCount } }", token=owner.access_token)
    assert "sqlStatements" not in (body.get("extensions") or {}), "diagnostics must be opt-in"


def test_create_project_writes_its_audit_entry_in_the_same_statement(
    counting: GraphQLClient, owner_with_projects: Account
) -> None:
    # The opening and ONE statement (insert + audit row); with the COMMIT, three round trips.
    create = 'mutation { createProject(input: {name: "counted"}) { id } }'
    counting.execute(create, token=owner_with_projects.access_token)  # the plan limits are now cached
    body = counting.execute(create, token=owner_with_projects.access_token)
    assert not body.get("errors"), body.get("errors")
    assert body["extensions"]["sqlStatements"] == 2, (
        f"createProject took {body['extensions']['sqlStatements']} statements besides its COMMIT"
    )
