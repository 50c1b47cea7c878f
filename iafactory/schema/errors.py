"""Errors, the GraphQL side: every error gets its contract code and the request id, and
anything unexpected is logged with the request id and masked as INTERNAL.

build_schema() (schema/build.py) lists these extensions in the order they run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import structlog
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.types import ExecutionResult

from iafactory.errors import AppError, ErrorCode

log = structlog.get_logger("iafactory.errors")

TOO_COMPLEX = re.compile(r"exceeds maximum operation depth|aliases found|more than \d+ tokens", re.IGNORECASE)
INTERNAL_MESSAGE = "Internal server error."
# graphql-core's hints name fields and values of the schema: not shown when introspection is off.
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class ReportingParserCache(ParserCache):
    """Strawberry's ParserCache, except that a syntax error is left to Strawberry's own parse.

    ParserCache raises it from its hook, outside the operation: over HTTP the error then
    misses ErrorCodes, and over a WebSocket the client gets a bare `complete` with no error.
    Failed parses are not cached, so parsing again costs nothing extra.
    """

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        try:
            execution.graphql_document = self.cached_parse_document(
                execution.query, **execution.parse_options
            )
        except GraphQLError:
            execution.graphql_document = None  # reported as a pre-execution error instead
        yield


class ErrorCodes(SchemaExtension):
    """Gives every error its contract code and the request id; masks unexpected ones."""

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        self.hide_suggestions = hide_suggestions

    def on_operation(self) -> Iterator[None]:
        yield
        self._format(self.execution_context.result)  # type: ignore[arg-type]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self._format(result)
        yield None

    def _format(self, result: ExecutionResult | GraphQLExecutionResult | None) -> None:
        if result is None or not result.errors:
            return
        request_id = getattr(self.execution_context.context, "request_id", None)
        result.errors = [
            formatted(error, request_id, hide_suggestions=self.hide_suggestions) for error in result.errors
        ]


def formatted(error: GraphQLError, request_id: str | None, *, hide_suggestions: bool = False) -> GraphQLError:
    """A NEW error with its contract code and THIS request's id: an error object may be shared
    (a cached validation result), so it is never changed in place."""
    original = error.original_error
    extensions: dict[str, Any]
    if (error.extensions or {}).get("code"):
        message = error.message  # formatted already (a stream result seen twice)
        extensions = dict(error.extensions or {})
    elif isinstance(original, AppError):
        message = original.message
        extensions = {"code": original.code.value, **original.extensions}
    elif original is None or isinstance(original, GraphQLError):
        # graphql-core's own: syntax, validation, variable coercion (which wraps another
        # GraphQLError), or our limiters.
        message = error.message
        code = ErrorCode.QUERY_TOO_COMPLEX if TOO_COMPLEX.search(message) else ErrorCode.BAD_USER_INPUT
        extensions = {"code": code.value}
    else:
        message = INTERNAL_MESSAGE
        extensions = {"code": ErrorCode.INTERNAL.value}
    extensions["requestId"] = request_id
    if hide_suggestions:
        message = SUGGESTION.sub("", message)
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def log_unexpected(errors: list[GraphQLError], request_id: str | None) -> None:
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, AppError | GraphQLError):
            continue
        log.error(
            "unexpected error",
            request_id=request_id,
            path=error.path,
            exc_info=(type(original), original, original.__traceback__),
        )
