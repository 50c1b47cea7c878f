"""What makes a GraphQL-over-HTTP request well-formed: each parameter's JSON type."""

from __future__ import annotations

import pytest

from iafactory.protocol.negotiation import MalformedRequest
from iafactory.protocol.params import Params


def test_the_specifications_parameters_and_document_id_are_read() -> None:
    params = Params.from_mapping(
        {"query": "{ a }", "variables": {"x": 1}, "operationName": "A", "extensions": {}, "documentId": "d"}
    )
    assert params == Params("{ a }", {"x": 1}, "A", {}, "d")


@pytest.mark.parametrize(
    "data",
    [
        [{"query": "{ a }"}],
        "query",
        {"query": {"obj": "ect"}},
        {"query": 0},
        {"query": "{ a }", "variables": "string"},
        {"query": "{ a }", "variables": ["array"]},
        {"query": "{ a }", "operationName": False},
        {"query": "{ a }", "extensions": 0},
        {"documentId": 7},
    ],
)
def test_a_parameter_of_the_wrong_type_is_not_well_formed(data: object) -> None:
    with pytest.raises(MalformedRequest):
        Params.from_mapping(data)


@pytest.mark.parametrize(
    "persisted",
    [{"version": 2, "sha256Hash": "a" * 64}, {"version": 1}, {"version": 1, "sha256Hash": "xyz"}, "hash"],
)
def test_a_persisted_query_extension_must_be_version_1_with_a_sha256(persisted: object) -> None:
    with pytest.raises(MalformedRequest):
        Params(None, None, None, {"persistedQuery": persisted}, None).persisted_query_hash()


def test_a_persisted_query_hash_is_read_in_lower_case() -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": "AB" * 32}}
    assert Params(None, None, None, extensions, None).persisted_query_hash() == "ab" * 32
