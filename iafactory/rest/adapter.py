"""How a REST route runs: a GraphQL document executed through the schema with the same
RequestContext as /graphql (schema/view.py), its first error turned into the seed's
`{"detail", "code"}` body with the contract's HTTP status (errors.HTTP_STATUS).

>>> data = await graphql(request, "{ me { user { id } } }")   # raises RestError on an error
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from iafactory.errors import HTTP_STATUS, ErrorCode
from iafactory.schema.view import request_context

# The seed's own wording for a token without a tenant (SEED_CALLS.md).
TENANT_ID_REQUIRED = "Tenant ID required"
Endpoint = Callable[[Request], Awaitable[Response]]


class RestError(Exception):
    """An answer other than success: status, `detail`, contract `code`, extra headers."""

    def __init__(self, status: int, detail: str, code: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.code, self.headers = status, detail, code, headers or {}

    @classmethod
    def invalid(cls, detail: str) -> RestError:
        """A request the route cannot read (missing field, wrong type): 422, as FastAPI did."""
        return cls(422, detail, ErrorCode.BAD_USER_INPUT.value)

    @classmethod
    def of(cls, error: GraphQLError) -> RestError:
        extensions = error.extensions or {}
        try:
            code = ErrorCode(str(extensions.get("code")))
        except ValueError:
            code = ErrorCode.INTERNAL
        detail = TENANT_ID_REQUIRED if code is ErrorCode.TENANT_REQUIRED else error.message
        headers = {}
        if "retryAfter" in extensions:
            headers["Retry-After"] = str(extensions["retryAfter"])
        if code is ErrorCode.UNAUTHENTICATED:
            headers["WWW-Authenticate"] = "Bearer"
        return cls(HTTP_STATUS[code], detail, code.value, headers)

    def response(self) -> JSONResponse:
        return JSONResponse({"detail": self.detail, "code": self.code}, self.status, headers=self.headers)


def schema_of(request: Request) -> strawberry.Schema:
    schema: strawberry.Schema = request.app.state.schema
    return schema


async def graphql(request: Request, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data of `document`, run exactly as /graphql runs it; RestError for its first error."""
    result = await schema_of(request).execute(
        document, variable_values=variables or {}, context_value=request_context(request)
    )
    if result.errors:
        raise RestError.of(result.errors[0])
    assert result.data is not None
    return dict(result.data)


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as error:
        raise RestError.invalid("The body must be a JSON object.") from error
    if not isinstance(body, dict):
        raise RestError.invalid("The body must be a JSON object.")
    return body


def text(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    """A string field of a JSON body or form: 422 when required and missing, or not a string."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise RestError.invalid(f"`{name}` is required and must be a string.")
    return value


def endpoint(handler: Endpoint) -> Endpoint:
    """A route handler whose RestError becomes the seed's error body."""

    @wraps(handler)
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except RestError as error:
            return error.response()

    return run
