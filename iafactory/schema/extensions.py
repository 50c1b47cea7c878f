"""Schema extensions: the operation's tenant transaction, and error codes on every error.

build_schema() (schema/build.py) lists them in the order they run.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import structlog
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from iafactory.errors import AppError, ErrorCode
from iafactory.schema.context import OperationContext, RequestContext

log = structlog.get_logger("iafactory.errors")

TOO_COMPLEX = re.compile(r"exceeds maximum operation depth|aliases found|more than \d+ tokens", re.IGNORECASE)
INTERNAL_MESSAGE = "Internal server error."


class OperationScope(SchemaExtension):
    """Gives each operation its OperationContext and each query or mutation ONE tenant-bound
    transaction (db/scope.py).

    Before execution, a caller bound to a tenant is checked against the database and spends
    one request of the tenant's budget (RATE_LIMITED refuses the whole operation). The
    transaction commits when the operation has no error and rolls back otherwise, so a
    failed mutation leaves no partial write. A subscription gets short transactions per
    statement instead: it may live for hours, and this hook spans only its start.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        request: RequestContext = execution.context
        operation_type = execution.operation_type
        operation = OperationContext(
            request,
            subscription=operation_type is OperationType.SUBSCRIPTION,
            query=operation_type is OperationType.QUERY,
        )
        execution.context = operation
        succeeded = False
        try:
            await operation.admit()
            yield
            result = execution.result
            succeeded = result is not None and not result.errors
        finally:
            try:
                await operation.close(commit=succeeded)
            except Exception as error:  # noqa: BLE001 - a failed COMMIT must reach the client
                if execution.result is not None:
                    execution.result.data = None
                    execution.result.errors = [GraphQLError(str(error), original_error=error)]

    def get_results(self) -> dict[str, Any]:
        """`extensions.sqlStatements` (IAFACTORY_EXPOSE_SQL_STATEMENT_COUNT): the statements
        the operation sent, the opening included, the COMMIT not; N+1 tests read it."""
        operation = self.execution_context.context
        if isinstance(operation, OperationContext) and operation.settings.expose_sql_statement_count:
            return {"sqlStatements": operation.statement_count}
        return {}


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
        result.errors = [formatted(error, request_id) for error in result.errors]


def formatted(error: GraphQLError, request_id: str | None) -> GraphQLError:
    if (error.extensions or {}).get("code"):
        return error  # already formatted (a stream result seen twice)
    original = error.original_error
    extensions: dict[str, Any]
    if isinstance(original, AppError):
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
