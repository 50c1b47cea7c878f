"""The Strawberry ASGI view: verifies the bearer token into the RequestContext (no database
work: its check against the database comes when the operation opens, schema/context.py),
and speaks graphql-transport-ws."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import structlog
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from iafactory.errors import HTTP_STATUS, AppError, BadUserInput, ErrorCode
from iafactory.schema.compiled.endpoint import CompiledReads
from iafactory.schema.context import BUDGET_SPENT, RequestContext
from iafactory.services import Services
from iafactory.settings import Settings

# A whole operation refused before execution answers with this status over HTTP; any other
# GraphQL answer is 200 with the error in the body.
REFUSED_CODES = frozenset({ErrorCode.RATE_LIMITED.value})


class GraphQLView(GraphQL[RequestContext, None]):
    def __init__(self, schema: Any, settings: Settings, compiled: CompiledReads | None = None) -> None:
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
        self.compiled = compiled

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        # A cached plan of a hot read answers without Strawberry; None: the general path.
        response = await self.compiled.respond(request) if self.compiled is not None else None
        try:
            if response is None:
                response = await self.run(request)
        except HTTPException as error:
            # Strawberry answers malformed HTTP requests in plain text; clients get our shape.
            response = JSONResponse(
                BadUserInput(error.reason).body(scope.get("request_id")), status_code=error.status_code
            )
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Any) -> RequestContext:
        services: Services = request.app.state.services
        client = request.client
        context = RequestContext(
            services=services,
            request_id=request.scope.get("request_id", ""),
            client_ip=client.host if client else "unknown",
            response=response if isinstance(response, Response) else None,
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

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        errors = response_data.get("errors") if isinstance(response_data, dict) else None
        for error in errors or []:
            extensions = error.get("extensions") or {}
            code = str(extensions.get("code"))
            if code in REFUSED_CODES:
                response.status_code = HTTP_STATUS[ErrorCode(code)]
                if "retryAfter" in extensions:
                    response.headers["Retry-After"] = str(extensions["retryAfter"])
                break
        return response

    def encode_json(self, data: object) -> str:
        # UTF-8 as is (not \u escapes): the compiled path's JSON text comes from PostgreSQL,
        # whose escaping matches json.dumps(ensure_ascii=False) character for character.
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _bind_log_identity(context: RequestContext) -> None:
    principal = context.principal
    structlog.contextvars.bind_contextvars(
        tenant_id=str(principal.tenant_id) if principal and principal.tenant_id else None,
        user_id=str(principal.user_id) if principal else None,
    )
