"""The media type and status of every /graphql answer, decided in one place.

`application/graphql-response+json` when the client's Accept allows it: request errors (the
operation never ran: unparseable, invalid, bad variables, over a limit, rate limited, an
unknown persisted document) get their 4xx status and no `data` key; an operation that ran
answers 200. Otherwise `application/json`, and every well-formed request answers 200: such a
client may not read the body of a non-2xx answer, and the body is where the code is. A request
that is not well-formed (not JSON, no query, over the body limit, a mutation by GET) gets its
status whatever the media type. `Retry-After` is set in both.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from iafactory.errors import HTTP_STATUS, AppError, BadUserInput, ErrorCode


class MediaType(StrEnum):
    GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
    JSON = "application/json"


class MalformedRequest(BadUserInput):
    """Not a well-formed GraphQL-over-HTTP request: its status holds whatever the media type.

    >>> MalformedRequest("mutations are not allowed when using GET", status=405, allow="POST")
    """

    def __init__(self, message: str, *, status: int = 400, allow: str | None = None) -> None:
        super().__init__(message)
        self._status = status
        self._allow = allow

    def status(self) -> int:
        return self._status

    def headers(self) -> dict[str, str]:
        return {**super().headers(), **({"Allow": self._allow} if self._allow else {})}


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    media: MediaType
    body: Mapping[str, Any]
    headers: dict[str, str] = field(default_factory=dict)  # besides Content-Type

    def encoded(self) -> bytes:
        # UTF-8 as is (not \u escapes): the compiled read path's JSON text comes from
        # PostgreSQL, whose escaping matches json.dumps(ensure_ascii=False) character for character.
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode()

    @property
    def content_type(self) -> str:
        return f"{self.media.value}; charset=utf-8"


@functools.lru_cache(maxsize=256)  # clients send a handful of Accept values, each every time
def negotiate(accept: str | None) -> MediaType:
    """application/graphql-response+json when Accept names it at least as favourably as
    application/json; no Accept, `*/*` or anything else is application/json.

    >>> negotiate("application/graphql-response+json,application/json;q=0.9")  # Apollo Client 4
    <MediaType.GRAPHQL_RESPONSE_JSON: 'application/graphql-response+json'>
    >>> negotiate("*/*")
    <MediaType.JSON: 'application/json'>
    """
    weights: dict[str, float] = {}
    for media_range in (accept or "").split(","):
        name, *parameters = media_range.split(";")
        weight = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights.setdefault(name.strip().lower(), weight)
    preferred = weights.get(MediaType.GRAPHQL_RESPONSE_JSON.value, 0.0)
    plain = max(weights.get(name, 0.0) for name in (MediaType.JSON.value, "application/*", "*/*"))
    return MediaType.GRAPHQL_RESPONSE_JSON if preferred > 0 and preferred >= plain else MediaType.JSON


def is_request_error(data: object, error_paths: Sequence[object]) -> bool:
    """No data and errors none of which has a path: the operation never ran (a resolver's
    error always has its field's path, even when it nulls the whole `data`)."""
    return data is None and bool(error_paths) and not any(error_paths)


def refusal(error: AppError, request_id: str | None, media: MediaType, *, malformed: bool = False) -> Answer:
    """A request refused before GraphQL ran. `malformed` (or a MalformedRequest): the error's
    status whatever the media type."""
    malformed = malformed or isinstance(error, MalformedRequest)
    status = error.status() if malformed or media is MediaType.GRAPHQL_RESPONSE_JSON else 200
    return Answer(status, media, {"errors": [error.entry(request_id)]}, error.headers())


def result(response: Mapping[str, Any], media: MediaType) -> Answer:
    """The answer for a GraphQL result ({"data", "errors", "extensions"} as Strawberry made it)."""
    errors: list[Mapping[str, Any]] = list(response.get("errors") or [])
    extensions = [error.get("extensions") or {} for error in errors]
    retry_after = next((entry["retryAfter"] for entry in extensions if "retryAfter" in entry), None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    data = response.get("data")
    if is_request_error(data, [error.get("path") for error in errors]):
        # The GraphQL specification: an error raised before execution began leaves no `data`.
        body = {key: value for key, value in response.items() if key != "data"}
        return Answer(_status(extensions[0], media), media, body, headers)
    status = 200
    if data is None and any(entry.get("code") == ErrorCode.RATE_LIMITED for entry in extensions):
        # A resolver refused the whole operation (the sign-in limits): the status says so too.
        status = _status({"code": ErrorCode.RATE_LIMITED}, media)
    return Answer(status, media, response, headers)


def _status(extensions: Mapping[str, Any], media: MediaType) -> int:
    if media is MediaType.JSON:
        return 200
    try:
        return HTTP_STATUS[ErrorCode(str(extensions.get("code")))]
    except ValueError:
        return 400
