"""The schema the server prints contains the whole public contract, unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    print_type,
)

from iafactory.schema.build import build_schema as build_server_schema
from iafactory.settings import Settings

CONTRACT = Path(__file__).resolve().parents[2] / "shared" / "contract.graphql"


@pytest.fixture(scope="module")
def contract() -> GraphQLSchema:
    return build_schema(CONTRACT.read_text())


@pytest.fixture(scope="module")
def server() -> GraphQLSchema:
    return build_schema(build_server_schema(Settings()).as_str())


def test_every_contract_type_is_served_with_its_kind(contract: GraphQLSchema, server: GraphQLSchema) -> None:
    for name, expected in contract.type_map.items():
        if name.startswith("__"):
            continue
        actual = server.type_map.get(name)
        assert actual is not None, f"type {name} is missing"
        assert type(actual) is type(expected), f"{name} is a {type(actual).__name__}"


def test_every_contract_field_and_argument_keeps_its_type(
    contract: GraphQLSchema, server: GraphQLSchema
) -> None:
    for name, expected in contract.type_map.items():
        if name.startswith("__") or not isinstance(expected, GraphQLObjectType | GraphQLInputObjectType):
            continue
        actual = server.type_map[name]
        assert isinstance(actual, GraphQLObjectType | GraphQLInputObjectType)
        for field_name, field in expected.fields.items():
            served = actual.fields.get(field_name)
            assert served is not None, f"{name}.{field_name} is missing"
            assert str(served.type) == str(field.type), f"{name}.{field_name}: {served.type} != {field.type}"
            if isinstance(expected, GraphQLInputObjectType):
                assert served.default_value == field.default_value, (  # type: ignore[union-attr]
                    f"{name}.{field_name} default {served.default_value!r}"  # type: ignore[union-attr]
                )
                continue
            for arg_name, arg in field.args.items():  # type: ignore[union-attr]
                served_arg = served.args.get(arg_name)  # type: ignore[union-attr]
                assert served_arg is not None, f"{name}.{field_name}({arg_name}) is missing"
                assert str(served_arg.type) == str(arg.type), f"{name}.{field_name}({arg_name})"
                assert served_arg.default_value == arg.default_value, (
                    f"{name}.{field_name}({arg_name}) default {served_arg.default_value!r}"
                )
            extra_required = [
                a for a, v in served.args.items()  # type: ignore[union-attr]
                if a not in field.args and "!" in str(v.type) and v.default_value is None
            ]
            assert not extra_required, f"{name}.{field_name} adds required arguments {extra_required}"


def test_enums_keep_their_values(contract: GraphQLSchema, server: GraphQLSchema) -> None:
    for name, expected in contract.type_map.items():
        if isinstance(expected, GraphQLEnumType) and not name.startswith("__"):
            actual = server.type_map[name]
            assert isinstance(actual, GraphQLEnumType)
            assert set(expected.values) <= set(actual.values), print_type(actual)
