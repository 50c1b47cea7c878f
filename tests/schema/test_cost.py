"""The cost estimate of shared/CONTRACT.md (IAFACTORY_MAX_QUERY_COST), computed from the
document and the request's variables: one per field, lists multiplied by their page size."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLSchema, parse

from iafactory.schema.build import build_schema
from iafactory.schema.cost import UNPAGED_LIST_SIZE, operation_cost
from iafactory.settings import Settings


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(Settings(IAFACTORY_ENV="development"))._schema  # type: ignore[call-arg]


def cost(schema: GraphQLSchema, query: str, variables: dict[str, Any] | None = None) -> int:
    return operation_cost(schema, parse(query), None, variables)


def test_each_selected_field_costs_one(schema: GraphQLSchema) -> None:
    assert cost(schema, "{ me { role isSuperadmin user { email } } }") == 5


def test_a_page_multiplies_its_nodes_by_first(schema: GraphQLSchema) -> None:
    # projects + totalCount + nodes + 10 x (id + name)
    assert cost(schema, "{ projects(first: 10) { totalCount nodes { id name } } }") == 23


def test_a_page_without_first_uses_the_arguments_default(schema: GraphQLSchema) -> None:
    assert cost(schema, "{ projects { nodes { id } } }") == 2 + 20


def test_a_variable_page_size_counts_with_the_requests_value(schema: GraphQLSchema) -> None:
    query = "query($n: Int) { projects(first: $n) { nodes { id } } }"
    assert cost(schema, query, {"n": 5}) == 2 + 5
    assert cost(schema, query, {"n": 100}) == 2 + 100


def test_a_variables_declared_default_counts_when_it_is_not_sent(schema: GraphQLSchema) -> None:
    assert cost(schema, "query($n: Int = 7) { projects(first: $n) { nodes { id } } }", {}) == 2 + 7


def test_nested_pages_multiply(schema: GraphQLSchema) -> None:
    query = "{ documents(first: 100) { nodes { project { documents(first: 100) { nodes { content } } } } } }"
    assert cost(schema, query) == 2 + 100 * (1 + 1 + 1 + 100)


def test_a_list_with_its_own_first_multiplies_its_selection(schema: GraphQLSchema) -> None:
    assert cost(schema, '{ searchKnowledge(query: "x", first: 5) { snippet score } }') == 1 + 5 * 2


def test_a_list_without_a_page_size_counts_a_fixed_estimate(schema: GraphQLSchema) -> None:
    assert cost(schema, "{ members { role } }") == 1 + UNPAGED_LIST_SIZE


def test_fragments_count_like_the_fields_they_spread(schema: GraphQLSchema) -> None:
    spread = "query { ...F } fragment F on Query { projects(first: 3) { nodes { id } } }"
    inline = "{ ... on Query { projects(first: 3) { nodes { id } } } }"
    assert cost(schema, spread) == cost(schema, inline) == 2 + 3


def test_aliases_each_cost_their_own_selection(schema: GraphQLSchema) -> None:
    twice = "{ a: projects(first: 10) { nodes { id } } b: projects(first: 10) { nodes { id } } }"
    assert cost(schema, twice) == 2 * (2 + 10)


def test_introspection_is_exempt(schema: GraphQLSchema) -> None:
    assert cost(schema, "{ __schema { types { name fields { name type { name } } } } }") == 0
    assert cost(schema, "{ __typename projects(first: 1) { __typename nodes { id } } }") == 3
