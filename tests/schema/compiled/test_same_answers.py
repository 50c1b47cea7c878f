"""The compiled path answers every hot read with the very bytes the general path answers:
every query shape the test suite sends, and a matrix of page sizes, cursors, aliases,
fragments, NULLs and an empty tenant."""

from __future__ import annotations

from typing import Any

import pytest

from tests.schema.compiled.conftest import Twins
from tests.schema.compiled.seed import Seeded, seed
from tests.support.graphql import Account, GraphQLClient, register

# Every compilable shape the rest of the suite sends (grep for me / projects / documents /
# transcriptions / project / document), and the benchmarks' queries.
SUITE = [
    "{ me { role tenant { slug } } }",
    "{ me { user { id } } }",
    "{ me { role } }",
    "{ me { tenant { id } } }",
    "{ me { role user { id email } tenant { id slug } memberships { role tenant { id slug } } } }",
    "{ me { user { id } tenant { id } } }",
    "{ me { role user { email } tenant { slug } } }",
    "{ me { isSuperadmin user { email } memberships { role } } }",
    "{ me { role tenant { id } } }",
    "{ me { tenant { slug } } }",
    "{ me { role user { email } tenant { id } } }",
    "{ me { user { id email } tenant { id name } role } }",
    "{ projects { nodes { name } } }",
    "{ projects { totalCount } }",
    "{ projects(first: 100) { nodes { name } } }",
    "{ projects(first: 100) { totalCount nodes { id name } } }",
    "{ transcriptions { totalCount } }",
    "{ documents { totalCount } }",
    "{ projects(first: 20) { nodes { id name documents(first: 5) { nodes { id title } } } } }",
    "{ projects(first: 20) { nodes { id name"
    " documents(first: 5) { nodes { id title project { id name } } } } } }",
    "{ projects(first: 10) { totalCount nodes { name createdBy { email }"
    " documents(first: 3) { totalCount nodes { title project { name } } } } } }",
]
PROJECT_FIELDS = "id name description createdAt updatedAt createdBy { id email }"
WITH_VARIABLES = [
    ("query($first: Int, $after: String) { projects(first: $first, after: $after) { totalCount } }", {}),
    (
        "query($first: Int, $after: String) { projects(first: $first, after: $after)"
        " { totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }",
        {"first": 2},
    ),
    (
        "query($n: Int!) { projects(first: $n) { nodes {"
        " documents(first: 5) { nodes { project { name } } } createdBy { email } } } }",
        {"n": 7},
    ),
]


@pytest.fixture(scope="module")
def alice(twin_client: GraphQLClient, database_url: str) -> Seeded:
    account = register(twin_client, name="alice")
    outsider = register(twin_client, name="outsider")
    return seed(database_url, account, outsider=outsider)


@pytest.mark.parametrize("query", SUITE)
def test_the_suites_queries_get_the_same_bytes(twins: Twins, alice: Seeded, query: str) -> None:
    twins.same(query, token=alice.account.access_token)


@pytest.mark.parametrize(("query", "variables"), WITH_VARIABLES)
def test_the_suites_queries_with_variables_get_the_same_bytes(
    twins: Twins, alice: Seeded, query: str, variables: dict[str, Any]
) -> None:
    twins.same(query, variables, token=alice.account.access_token)


def test_lookups_by_id_get_the_same_bytes(twins: Twins, alice: Seeded) -> None:
    token = alice.account.access_token
    project = f"query($id: ID!) {{ project(id: $id) {{ {PROJECT_FIELDS} }} }}"
    for project_id in [*alice.projects, "00000000-0000-0000-0000-000000000000"]:
        twins.same(project, {"id": project_id}, token=token)
        twins.same("query($id: ID!) { project(id: $id) { id name } }", {"id": project_id}, token=token)
        twins.same(
            "query($p: ID!) { project(id: $p) { transcriptions { totalCount nodes { id } } } }",
            {"p": project_id},
            token=token,
        )
    for document_id in alice.documents:
        twins.same("query($id: ID!) { document(id: $id) { id } }", {"id": document_id}, token=token)
        twins.same(
            "query($id: ID!) { document(id: $id) { id title content source language createdAt"
            " project { id name } createdBy { id email fullName createdAt } } }",
            {"id": document_id},
            token=token,
        )


EVERY_TRANSCRIPTION_FIELD = (
    "id status progress filename language detectedLanguage duration text error createdAt startedAt"
    " finishedAt attempts segmentCount project { name } document { title }"
)


@pytest.mark.parametrize("status", [None, "QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"])
def test_every_transcription_field_and_status_gets_the_same_bytes(
    twins: Twins, alice: Seeded, status: str | None
) -> None:
    query = (
        "query($s: TranscriptionStatus) { transcriptions(status: $s) { totalCount"
        f" pageInfo {{ hasNextPage endCursor }} nodes {{ {EVERY_TRANSCRIPTION_FIELD} }} }} }}"
    )
    twins.same(query, {"s": status}, token=alice.account.access_token)


@pytest.mark.parametrize("first", [0, 1, 2, 3, 6, 7, 100])
@pytest.mark.parametrize("root", ["projects", "documents", "transcriptions"])
def test_every_page_of_every_size_gets_the_same_bytes(
    twins: Twins, alice: Seeded, root: str, first: int
) -> None:
    query = (
        f"query($first: Int, $after: String) {{ {root}(first: $first, after: $after) {{ totalCount"
        " pageInfo { hasNextPage endCursor } nodes { id createdAt } } }"
    )
    after = None
    for _ in range(10):
        answer = twins.same(query, {"first": first, "after": after}, token=alice.account.access_token)
        info = answer.json["data"][root]["pageInfo"]
        if not info["hasNextPage"] or first == 0:
            break
        after = info["endCursor"]


@pytest.mark.parametrize("first", [0, 1, 2, 5])
def test_nested_pages_of_every_size_and_cursor_get_the_same_bytes(
    twins: Twins, alice: Seeded, first: int
) -> None:
    query = (
        "query($first: Int, $after: String) { projects(first: 7) { nodes { name"
        " documents(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }"
        " nodes { title createdBy { email } } }"
        " transcriptions(first: $first, after: $after) { totalCount nodes { status text } } } } }"
    )
    token = alice.account.access_token
    answer = twins.same(query, {"first": first}, token=token)
    cursors = [
        node["documents"]["pageInfo"]["endCursor"]
        for node in answer.json["data"]["projects"]["nodes"]
        if node["documents"]["pageInfo"]["endCursor"]
    ]
    for cursor in cursors:
        twins.same(query, {"first": first, "after": cursor}, token=token)


def test_documents_of_one_project_get_the_same_bytes(twins: Twins, alice: Seeded) -> None:
    query = "query($p: ID) { documents(projectId: $p) { totalCount nodes { id } } }"
    for project in [None, *alice.projects[:4]]:
        twins.same(query, {"p": project}, token=alice.account.access_token)


ALIASES_AND_FRAGMENTS = {
    "aliases": "{ newest: projects(first: 1) { all: totalCount items: nodes { key: id label: name } }"
    " older: projects(first: 3) { nodes { name key: id } } }",
    "a field twice": "{ projects { nodes { id name id } nodes { createdAt } } }",
    "named fragments": "query Q { projects { ...Page } }"
    " fragment Page on ProjectPage { totalCount nodes { ...P } }"
    " fragment P on Project { id name createdBy { ...U } } fragment U on User { email }",
    "inline fragments": "{ documents { nodes { ... on Document { title } ... { id }"
    " project { ... on Project { name } } } } }",
    "typename everywhere": "{ __typename projects { __typename pageInfo { __typename } nodes { __typename"
    " documents { __typename nodes { __typename } } } } me { __typename user { __typename } } }",
    "skip and include": "{ projects { nodes { id @skip(if: true) name @include(if: false)"
    " createdAt @include(if: true) } } }",
    "back to the parent": "{ projects(first: 4) { nodes { id documents { nodes { project { name createdBy"
    " { email } documents(first: 1) { nodes { title project { id updatedAt } } } } } }"
    " transcriptions { nodes { project { description } } } } } }",
    "a variable's default": "query($n: Int = 2) { projects(first: $n) { nodes { id } } }",
    "an operation among others": "query A { me { role } } query B { documents { totalCount } }",
}


@pytest.mark.parametrize("query", ALIASES_AND_FRAGMENTS.values(), ids=ALIASES_AND_FRAGMENTS.keys())
def test_aliases_fragments_and_directives_get_the_same_bytes(twins: Twins, alice: Seeded, query: str) -> None:
    name = "B" if query.startswith("query A") else ("Q" if query.startswith("query Q") else None)
    twins.same(query, token=alice.account.access_token, operation_name=name)


def test_the_operation_name_may_be_given_or_not(twins: Twins, alice: Seeded) -> None:
    query = "query Mine { projects { totalCount } }"
    twins.same(query, token=alice.account.access_token)
    twins.same(query, token=alice.account.access_token, operation_name="Mine")


@pytest.mark.parametrize(
    "query",
    [
        "{ projects { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }",
        "{ documents(first: 0) { totalCount pageInfo { hasNextPage endCursor } } }",
        "{ transcriptions { totalCount nodes { id } } }",
        "{ me { role memberships { role tenant { name plan status region } } } }",
    ],
)
def test_an_empty_tenant_gets_the_same_bytes(twins: Twins, empty: Account, query: str) -> None:
    twins.same(query, token=empty.access_token)


def test_a_query_the_compiler_does_not_take_still_gets_its_answer(twins: Twins, alice: Seeded) -> None:
    query = "{ transcriptions { nodes { id segments { text } } } }"
    twins.same(query, token=alice.account.access_token, compiled=False)
