"""The Strawberry ASGI view: builds the RequestContext and speaks graphql-transport-ws."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from iafactory.errors import AppError, ErrorCode
from iafactory.resolvers.context import RequestContext, Services
from iafactory.web.ide import BrowserFacingView

STATUS_BY_CODE = {ErrorCode.RATE_LIMITED.value: 429}


class GraphQLView(BrowserFacingView, GraphQL[RequestContext, None]):
    def __init__(self, schema: Any, services: Services) -> None:
        settings = services.settings
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
        self.services = services
        self.origin_policy = settings.origin_policy

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            # Strawberry answers malformed HTTP requests in plain text; clients get our shape.
            response = JSONResponse(
                {
                    "data": None,
                    "errors": [
                        {
                            "message": error.reason,
                            "extensions": {
                                "code": ErrorCode.BAD_USER_INPUT.value,
                                "requestId": scope.get("request_id"),
                            },
                        }
                    ],
                },
                status_code=error.status_code,
            )
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Any) -> RequestContext:
        client = request.client
        return RequestContext(
            services=self.services,
            request_id=request.scope.get("request_id", ""),
            client_ip=client.host if client else "unknown",
            principal=request.scope.get("principal"),
            auth_error=request.scope.get("auth_error"),
            response=response if isinstance(response, Response) else None,
        )

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """The token travels in connection_init: {"Authorization": "Bearer <jwt>"}."""
        params = context.connection_params or {}
        authorization = params.get("Authorization") or params.get("authorization")
        if authorization is None:
            return None  # anonymous: fields that need a caller answer UNAUTHENTICATED
        scheme, _, token = str(authorization).partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise AppError("Invalid or expired token.")
            context.principal = self.services.tokens.verify(token.strip())
        except AppError as error:
            raise ConnectionRejectionError({"code": ErrorCode.UNAUTHENTICATED.value}) from error
        return None

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        errors = response_data.get("errors") if isinstance(response_data, dict) else None
        for error in errors or []:
            extensions = error.get("extensions") or {}
            status = STATUS_BY_CODE.get(str(extensions.get("code")))
            if status is not None:
                response.status_code = status
                if "retryAfter" in extensions:
                    response.headers["Retry-After"] = str(extensions["retryAfter"])
                break
        return response

    def encode_json(self, data: object) -> str:
        return json.dumps(data, separators=(",", ":"))
