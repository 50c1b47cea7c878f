"""Which operations the compiler takes, and which it leaves to the general path
(NotCompilable): it compiles only what it can answer byte for byte."""

from __future__ import annotations

import pytest
from graphql import GraphQLSchema, parse, validate

from iafactory.schema.build import build_schema
from iafactory.schema.compiled.plans import Plan, compile_plan
from iafactory.schema.compiled.selection import NotCompilable
from iafactory.settings import Settings

COMPILED = {
    "nested page": "{ projects(first: 20) { nodes { id name documents(first: 5) { nodes { id title } } } } }",
    "every page part": "{ documents { __typename totalCount pageInfo { hasNextPage endCursor __typename }"
    " nodes { __typename id title content source language createdAt } } }",
    "aliases": "{ a: projects(first: 1) { n: nodes { i: id } } b: projects(first: 2) { totalCount } }",
    "named fragment": "query Q { projects { nodes { ...P } } } fragment P on Project { id name }",
    "inline fragment": "{ projects { nodes { ... on Project { id } ... { name } } } }",
    "literal skip and include": "{ projects { nodes { id @skip(if: true) name @include(if: true) } } }",
    "variables": "query($n: Int = 3, $a: String, $p: ID, $s: TranscriptionStatus) {"
    " documents(first: $n, after: $a, projectId: $p) { totalCount }"
    " transcriptions(status: $s) { nodes { id status progress duration text } } }",
    "lookups": "query($id: ID!) { project(id: $id) { createdBy { email } }"
    ' document(id: "x") { project { id } } }',
    "viewer": "{ me { role isSuperadmin tokenExpiresAt user { id email fullName createdAt }"
    " tenant { id name slug region plan status createdAt } memberships { role tenant { slug } } } }",
    "three levels": "{ projects { nodes { transcriptions { nodes { document { project { name } } } } } } }",
    "typename at the root": "{ __typename projects { totalCount } }",
}

GENERAL_ONLY = {
    "mutation": 'mutation { createProject(input: {name: "x"}) { id } }',
    "subscription": 'subscription { transcriptionProgress(id: "x") { segment { text } } }',
    "search": '{ searchKnowledge(query: "x") { score } }',
    "a field with a resolver of its own": "{ transcriptions { nodes { segments { text } } } }",
    "a field with arguments of its own": "{ transcriptions { nodes { subtitles(format: SRT) } } }",
    "a root field not in the catalog": "{ members { role } }",
    "skip with a variable": "query($x: Boolean!) { projects { nodes { id @skip(if: $x) } } }",
    "introspection": "{ __schema { queryType { name } } }",
    "me without a tenant's fields only": "{ me { user { id } } health { status } }",
}


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    graphql_schema: GraphQLSchema = build_schema(Settings())._schema
    return graphql_schema


def compiled(schema: GraphQLSchema, query: str, name: str | None = None) -> Plan:
    document = parse(query)
    assert not validate(schema, document), "the compiler only ever sees validated documents"
    return compile_plan(schema, document, name)


@pytest.mark.parametrize("query", COMPILED.values(), ids=COMPILED.keys())
def test_hot_reads_are_compiled(schema: GraphQLSchema, query: str) -> None:
    plan = compiled(schema, query, "Q" if query.startswith("query Q") else None)
    sql, _ = plan.statement([0] * len(plan.compiled.slots))
    assert sql.startswith("SELECT ")


@pytest.mark.parametrize("query", GENERAL_ONLY.values(), ids=GENERAL_ONLY.keys())
def test_anything_else_is_left_to_the_general_path(schema: GraphQLSchema, query: str) -> None:
    with pytest.raises(NotCompilable):
        compiled(schema, query)


def test_every_tenant_table_read_carries_the_explicit_tenant_predicate(schema: GraphQLSchema) -> None:
    plan = compiled(schema, COMPILED["three levels"])
    sql, _ = plan.statement([0] * len(plan.compiled.slots))
    reads = sql.count(" FROM projects ") + sql.count(" FROM documents ") + sql.count(" FROM transcriptions ")
    assert sql.count(".tenant_id = $") == reads, sql


def test_a_page_without_a_cursor_has_no_keyset_predicate(schema: GraphQLSchema) -> None:
    plan = compiled(schema, "query($a: String) { projects(after: $a) { totalCount nodes { id } } }")
    without_cursor, arguments = plan.statement([1 if i not in (2, 3) else None for i in range(4)])
    assert ") < ($" not in without_cursor
    assert None not in arguments, "a NULL parameter is left out, not sent"
    with_cursor, arguments = plan.statement([1, 1, 1, 1])
    assert ".id) < ($" in with_cursor
    assert len(arguments) == 4


def test_a_page_asked_only_for_its_count_reads_no_rows(schema: GraphQLSchema) -> None:
    plan = compiled(schema, "query($n: Int) { projects(first: $n) { totalCount } }")
    sql, arguments = plan.statement([1, 5, None, None])
    assert "LIMIT" not in sql
    assert len(arguments) == 1, "the tenant only: `first` is not sent when no row is read"


def test_an_operation_is_chosen_by_name(schema: GraphQLSchema) -> None:
    query = "query A { me { role } } query B { projects { totalCount } }"
    assert compiled(schema, query, "B").operation_name == "B"
    with pytest.raises(NotCompilable):
        compiled(schema, query, None)
