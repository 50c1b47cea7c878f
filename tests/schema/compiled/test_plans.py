"""The plan cache: bounded, least recently used out first, a refused document remembered as
such, and a one-operation document found whether or not the request names it."""

from __future__ import annotations

import pytest
from graphql import GraphQLSchema, parse

from iafactory.schema.build import build_schema
from iafactory.schema.compiled.plans import PlanCache
from iafactory.settings import Settings


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    graphql_schema: GraphQLSchema = build_schema(Settings())._schema
    return graphql_schema


def record(cache: PlanCache, schema: GraphQLSchema, query: str, name: str | None = None) -> None:
    cache.record(schema, query, parse(query), name)


def test_a_one_operation_document_is_found_with_or_without_its_name(schema: GraphQLSchema) -> None:
    cache = PlanCache()
    query = "query Mine { projects { totalCount } }"
    record(cache, schema, query, "Mine")
    assert cache.get(query, None) is not None
    assert cache.get(query, "Mine") is not None
    assert cache.get(query, "Other") is None


def test_a_document_of_several_operations_is_found_by_name_only(schema: GraphQLSchema) -> None:
    cache = PlanCache()
    query = "query A { me { role } } query B { projects { totalCount } }"
    record(cache, schema, query, "B")
    assert cache.get(query, "B") is not None
    assert cache.get(query, None) is None


def test_a_document_the_compiler_refuses_is_remembered_and_never_served(schema: GraphQLSchema) -> None:
    cache = PlanCache()
    query = "{ members { role } }"
    record(cache, schema, query)
    assert (query, None) in cache, "compiled once per process, not once per request"
    assert cache.get(query, None) is None


def test_the_cache_keeps_at_most_its_size_dropping_the_least_recently_used(schema: GraphQLSchema) -> None:
    cache = PlanCache(maxsize=2)
    first, second, third = (f"{{ projects(first: {n}) {{ totalCount }} }}" for n in (1, 2, 3))
    record(cache, schema, first)
    record(cache, schema, second)
    assert cache.get(first, None) is not None  # now the most recently used
    record(cache, schema, third)
    assert cache.get(second, None) is None, "the least recently used went"
    assert cache.get(first, None) is not None
    assert cache.get(third, None) is not None


def test_a_forgotten_plan_is_answered_by_the_general_path(schema: GraphQLSchema) -> None:
    cache = PlanCache()
    query = "{ projects { totalCount } }"
    record(cache, schema, query)
    cache.forget(query, None)
    assert cache.get(query, None) is None
    record(cache, schema, query)
    assert cache.get(query, None) is None, "not recompiled while the entry stays"
