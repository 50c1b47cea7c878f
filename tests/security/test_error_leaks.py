"""Issue 9, finding 12: errors leak nothing about other requests or the schema. A cached
validation error carries the id of the request it answers (not of the first request that
produced it), and with introspection off no message suggests a field name."""

from __future__ import annotations

import uuid

from tests.support.graphql import GraphQLClient


def test_a_cached_validation_error_carries_the_request_id_of_each_request(client: GraphQLClient) -> None:
    query = f"{{ health {{ nope_{uuid.uuid4().hex[:8]} }} }}"  # invalid, and new to the cache
    seen = []
    for _ in range(3):
        response = client.post(query)
        error = response.json()["errors"][0]
        assert error["extensions"]["requestId"] == response.headers["x-request-id"], (
            "the error of a cached validation must carry THIS request's id"
        )
        seen.append(error["extensions"]["requestId"])
    assert len(set(seen)) == 3


def test_a_syntax_error_repeated_carries_each_requests_id(client: GraphQLClient) -> None:
    for _ in range(2):
        response = client.post("{ health { ")
        assert response.json()["errors"][0]["extensions"]["requestId"] == response.headers["x-request-id"]


def test_no_error_suggests_a_field_name_when_introspection_is_off(guarded_client: GraphQLClient) -> None:
    body = guarded_client.execute("{ health { statu } }")
    message = body["errors"][0]["message"]
    assert "Did you mean" not in message, message
    assert "status" not in message.replace("statu ", ""), message


def test_no_error_suggests_an_enum_value_when_introspection_is_off(guarded_client: GraphQLClient) -> None:
    body = guarded_client.execute(
        "query($s: TranscriptionStatus) { transcriptions(status: $s) { totalCount } }", {"s": "COMPLETE"}
    )
    messages = " ".join(error["message"] for error in body["errors"])
    assert "Did you mean" not in messages, messages
    assert "COMPLETED" not in messages, messages


def test_suggestions_stay_in_development_where_introspection_is_on(client: GraphQLClient) -> None:
    assert "Did you mean" in client.execute("{ health { statu } }")["errors"][0]["message"]
