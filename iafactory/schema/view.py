"""The Strawberry ASGI view: verifies the bearer token into the RequestContext (no database
work: its check against the database comes when the operation opens, schema/context.py), and
speaks GraphQL over HTTP as the specification says (iafactory/protocol/) and graphql-transport-ws
(schema/sockets.py).

An HTTP request, top to bottom: `parse_http_body` checks the parameters' shape, `operation`
turns them into the text that runs (a query, a documentId or an APQ hash; trusted documents
only, when set), `execute_single` runs it, and `create_response` gives the result the
negotiated media type and status. Whatever is refused on the way answers through `refused`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UnsetType

from iafactory.errors import AppError, BadUserInput, ErrorCode
from iafactory.protocol.negotiation import (
    Answer,
    MalformedRequest,
    MediaType,
    is_request_error,
    negotiate,
    refusal,
    result,
)
from iafactory.protocol.params import Params
from iafactory.protocol.persisted import PersistedDocuments, Resolved, TrustedDocuments, namespace_of
from iafactory.schema.compiled.endpoint import CompiledReads
from iafactory.schema.context import BUDGET_SPENT, RequestContext
from iafactory.schema.sockets import LegacyWSHandler, TransportWSHandler
from iafactory.services import Services
from iafactory.settings import Settings
from iafactory.web.ide import BrowserFacingView

# Subscriptions travel over the WebSocket; a GET never changes anything.
ALLOWED_OPERATIONS = {
    "GET": frozenset({OperationType.QUERY}),
    "POST": frozenset({OperationType.QUERY, OperationType.MUTATION}),
}


@dataclass
class HTTPRequestData(GraphQLRequestData):
    document_id: str | None = None  # the persisted-documents appendix's parameter


class SubResponse(Response):
    """What a resolver may add to the answer (headers, a status), and the media type that
    the request's Accept negotiated for it."""

    def __init__(self, media: MediaType) -> None:
        super().__init__()
        self.negotiated = media
        self.status_code = None  # type: ignore[assignment]  # unset unless a resolver sets it
        del self.headers["content-length"]


class GraphQLView(BrowserFacingView, GraphQL[RequestContext, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        schema: Any,
        settings: Settings,
        compiled: CompiledReads | None = None,
        documents: PersistedDocuments | None = None,
    ) -> None:
        protocols = [GRAPHQL_TRANSPORT_WS_PROTOCOL]
        if settings.legacy_graphql_ws:
            protocols.append(GRAPHQL_WS_PROTOCOL)
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            subscription_protocols=protocols,
            multipart_uploads_enabled=True,
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        )
        self.origin_policy = settings.origin_policy
        trusted = settings.trusted_documents
        self.documents = documents or PersistedDocuments(
            cache_size=settings.apq_cache_size, trusted=TrustedDocuments.load(trusted) if trusted else None
        )
        self.compiled = compiled

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            # A cached plan of a hot read answers without Strawberry; None: the general path.
            response = await self.compiled.respond(request) if self.compiled is not None else None
            if response is None:
                response = await self.run(request)
        except (AppError, HTTPException) as error:
            response = refused(request, error)
        await response(scope, receive, send)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET naming a persisted document is an operation, whatever its Accept says.
        if not super().should_render_graphql_ide(request):
            return False
        return not any(request.query_params.get(name) for name in ("extensions", "documentId"))

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        return SubResponse(negotiate(request.headers.get("accept")))

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        content_type, _ = parse_content_type(request.content_type or "")
        if request.method == "GET":
            data: Any = self.parse_query_params(request.query_params)
        elif content_type == "application/json":
            data = self.parse_json(await request.get_body())
        elif content_type == "multipart/form-data":
            data = await self.parse_multipart(request)
        else:
            raise MalformedRequest("Send the operation as application/json (files: multipart/form-data).")
        params = Params.from_mapping(data)
        return HTTPRequestData(
            query=params.query,
            variables=params.variables,
            operation_name=params.operation_name,
            extensions=params.extensions,
            document_id=params.document_id,
        )

    def operation(self, request_data: GraphQLRequestData, context: RequestContext) -> Resolved:
        """The text this request runs, in the caller's own APQ namespace; PERSISTED_QUERY_*
        refusals come from here, before anything is parsed."""
        params = Params(
            query=request_data.query,
            variables=request_data.variables,
            operation_name=request_data.operation_name,
            extensions=request_data.extensions,
            document_id=getattr(request_data, "document_id", None),
        )
        return self.documents.resolve(params, namespace=namespace_of(context.principal))

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        operation = self.operation(request_data, context)
        method = request_adapter.method
        try:
            executed = await self.schema.execute(
                operation.query,
                variable_values=request_data.variables,
                context_value=context,
                root_value=root_value,
                operation_name=request_data.operation_name,
                allowed_operation_types=ALLOWED_OPERATIONS[method],
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as error:
            reason = error.as_http_error_reason(method)
            if error.operation_type is OperationType.MUTATION:
                raise MalformedRequest(f"{reason}; send it by POST.", status=405, allow="POST") from error
            raise BadUserInput(f"{reason}; subscriptions use the WebSocket.") from error
        except CannotGetOperationTypeError as error:
            raise BadUserInput(error.as_http_error_reason()) from error
        if not is_request_error(executed.data, [error.path for error in executed.errors or []]):
            self.documents.register(operation)
        return executed

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        media = sub_response.negotiated if isinstance(sub_response, SubResponse) else MediaType.JSON
        assert not isinstance(response_data, list), "batching is not enabled"
        response = answered(result(response_data, media))
        response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    async def get_context(self, request: Request | WebSocket, response: Any) -> RequestContext:
        return request_context(request, response if isinstance(response, Response) else None)

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """The token travels in connection_init: {"Authorization": "Bearer <jwt>"}; it is
        verified once here (its expiry again at every subscribe)."""
        params = context.connection_params or {}
        authorization = params.get("Authorization") or params.get("authorization")
        try:
            context.principal = context.services.tokens.principal(
                str(authorization) if authorization is not None else None
            )
        except AppError as error:
            raise ConnectionRejectionError({"code": ErrorCode.UNAUTHENTICATED.value}) from error
        _bind_log_identity(context)
        return None  # anonymous: fields that need a caller answer UNAUTHENTICATED

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except RecursionError as error:
            # Nested deeper than the interpreter's stack: a malformed request (400), not a 500.
            raise json.JSONDecodeError("JSON nested too deeply", "", 0) from error

    def encode_json(self, data: object) -> str:
        # UTF-8 as is (not \u escapes): the compiled path's JSON text comes from PostgreSQL,
        # whose escaping matches json.dumps(ensure_ascii=False) character for character.
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def request_context(request: Request | WebSocket, response: Response | None = None) -> RequestContext:
    """The one way a request becomes a RequestContext (GraphQL's view and the REST routes):
    the verified bearer token, the client address, the request id. No database work."""
    services: Services = request.app.state.services
    client = request.client
    context = RequestContext(
        services=services,
        request_id=request.scope.get("request_id", ""),
        client_ip=client.host if client else "unknown",
        response=response,
        budget_spent=bool(request.scope.get(BUDGET_SPENT)),
    )
    if isinstance(request, Request):
        try:
            context.principal = services.tokens.principal(request.headers.get("authorization"))
        except AppError as error:
            # Kept for the fields that need a caller: login and health still answer.
            context.auth_error = error
        # The response names the tenant (X-Tenant-Context), every log line the caller.
        request.scope["principal"] = context.principal
        _bind_log_identity(context)
    return context


def _bind_log_identity(context: RequestContext) -> None:
    principal = context.principal
    structlog.contextvars.bind_contextvars(
        tenant_id=str(principal.tenant_id) if principal and principal.tenant_id else None,
        user_id=str(principal.user_id) if principal else None,
    )


def refused(request: Request, error: AppError | HTTPException) -> Response:
    if isinstance(error, HTTPException):  # Strawberry's own: the request is not well-formed
        error = MalformedRequest(error.reason, status=error.status_code)
    media = negotiate(request.headers.get("accept"))
    return answered(refusal(error, request.scope.get("request_id"), media))


def answered(answer: Answer) -> Response:
    return Response(
        answer.encoded(),
        status_code=answer.status,
        headers={**answer.headers, "Content-Type": answer.content_type},
    )
