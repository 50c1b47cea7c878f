"""The one decision of media type and status for /graphql answers (no server needed)."""

from __future__ import annotations

import pytest

from iafactory.errors import BadUserInput, PayloadTooLarge, RateLimited
from iafactory.protocol.negotiation import MalformedRequest, MediaType, negotiate, refusal, result

SPEC, JSON = MediaType.GRAPHQL_RESPONSE_JSON, MediaType.JSON


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", SPEC),
        ("application/graphql-response+json,application/json;q=0.9", SPEC),  # Apollo Client 4
        ("application/graphql-response+json, application/json", SPEC),  # the web console
        ("application/json, application/graphql-response+json;q=0.5", JSON),
        ("application/graphql-response+json;q=0", JSON),
        ("application/graphql-response+json;q=oops", JSON),
        ("Application/GraphQL-Response+JSON", SPEC),
    ],
)
def test_accept_chooses_the_media_type(accept: str | None, media: MediaType) -> None:
    assert negotiate(accept) is media


def request_error(code: str, **extensions: object) -> dict[str, object]:
    return {"data": None, "errors": [{"message": "no", "extensions": {"code": code, **extensions}}]}


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("BAD_USER_INPUT", 400),
        ("QUERY_TOO_COMPLEX", 400),
        ("RATE_LIMITED", 429),
        ("PERSISTED_QUERY_NOT_FOUND", 404),
        ("PERSISTED_QUERY_NOT_ALLOWED", 400),
        ("NOT_A_CODE", 400),
    ],
)
def test_a_request_error_has_its_status_under_the_specs_media_type_and_200_otherwise(
    code: str, status: int
) -> None:
    assert result(request_error(code), SPEC).status == status
    assert result(request_error(code), JSON).status == 200


@pytest.mark.parametrize("media", [SPEC, JSON])
def test_a_request_error_loses_its_data_key(media: MediaType) -> None:
    assert "data" not in result(request_error("BAD_USER_INPUT"), media).body


@pytest.mark.parametrize("media", [SPEC, JSON])
def test_retry_after_is_set_whatever_the_media_type(media: MediaType) -> None:
    assert result(request_error("RATE_LIMITED", retryAfter=7), media).headers == {"Retry-After": "7"}


def test_a_field_error_is_an_executed_operation_and_keeps_its_data() -> None:
    response = {
        "data": None,
        "errors": [{"message": "no", "path": ["me"], "extensions": {"code": "UNAUTHENTICATED"}}],
    }
    answer = result(response, SPEC)
    assert (answer.status, answer.body) == (200, response)


def test_a_resolver_that_refuses_the_whole_operation_for_rate_says_429() -> None:
    # The sign-in limits: login is non-null, so its RATE_LIMITED nulls the whole data.
    response = {
        "data": None,
        "errors": [{"message": "no", "path": ["login"], "extensions": {"code": "RATE_LIMITED"}}],
    }
    assert result(response, SPEC).status == 429
    assert result(response, JSON).status == 200


def test_a_well_formed_refusal_answers_200_as_application_json() -> None:
    assert refusal(RateLimited(3), "r1", JSON).status == 200
    assert refusal(RateLimited(3), "r1", SPEC).status == 429


@pytest.mark.parametrize("media", [SPEC, JSON])
def test_a_malformed_request_keeps_its_status_whatever_the_media_type(media: MediaType) -> None:
    assert refusal(MalformedRequest("not JSON"), "r1", media).status == 400
    assert refusal(MalformedRequest("GET", status=405, allow="POST"), "r1", media).headers == {
        "Allow": "POST"
    }
    assert refusal(PayloadTooLarge(), "r1", media, malformed=True).status == 413


def test_a_refusal_carries_code_and_request_id_and_no_data() -> None:
    answer = refusal(BadUserInput("bad"), "r1", SPEC)
    assert answer.body == {
        "errors": [{"message": "bad", "extensions": {"code": "BAD_USER_INPUT", "requestId": "r1"}}]
    }
    assert answer.content_type == "application/graphql-response+json; charset=utf-8"
