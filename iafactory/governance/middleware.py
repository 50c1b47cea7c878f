"""The per-tenant request budget, spent before GraphQL runs (pure ASGI, after authentication).

HTTP: a request whose verified token names a tenant spends one request of that tenant's
budget; over it, the answer is 429 with Retry-After and a RATE_LIMITED error carrying
`retryAfter`, and nothing else runs (no transaction, no resolver).

WebSocket: the token arrives in connection_init, so the gate reads the protocol messages as
they come in: each `subscribe` (graphql-transport-ws; `start` in legacy graphql-ws) after the
connection is acknowledged spends one request, and one over the budget is answered with an
`error` message for that id instead of being passed on. The socket stays open.

Requests admitted for a tenant are counted for its monthly usage record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iafactory.auth.tokens import TokenService
from iafactory.errors import AppError, ErrorCode, RateLimited
from iafactory.governance.runtime import Governance
from iafactory.middleware import send_error

log = structlog.get_logger("iafactory.ratelimit")
UNCOUNTED_PATHS = ("/health", "/metrics")


def _rate_limited(retry_after: int) -> RateLimited:
    return RateLimited(retry_after, f"This tenant is over its request rate; retry in {retry_after} s.")


class RateLimitMiddleware:
    def __init__(
        self, app: ASGIApp, *, governance: Callable[[], Governance], tokens: Callable[[], TokenService]
    ) -> None:
        self.app = app
        self.governance = governance
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            gate = _SubscribeGate(scope, receive, send, self.governance(), self.tokens())
            await self.app(scope, gate.receive, gate.send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        principal = scope.get("principal")
        tenant_id = principal.tenant_id if principal is not None else None
        # Every log line of the request names them, None included (anonymous requests).
        structlog.contextvars.bind_contextvars(
            tenant_id=str(tenant_id) if tenant_id else None,
            user_id=str(principal.user_id) if principal is not None else None,
        )
        if tenant_id is not None and not scope["path"].startswith(UNCOUNTED_PATHS):
            governance = self.governance()
            retry_after = await governance.rate_limits.tenant(tenant_id)
            if retry_after is not None:
                governance.metrics.rejected(tenant_id=tenant_id, code=ErrorCode.RATE_LIMITED.value)
                log.info("rate limited", limit="tenant", retry_after=retry_after, path=scope["path"])
                await send_error(scope, send, _rate_limited(retry_after))
                return
            governance.api_calls.count(tenant_id)
        await self.app(scope, receive, send)


class _SubscribeGate:
    """Wraps one WebSocket's receive and send (see the module docstring)."""

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, governance: Governance, tokens: TokenService
    ) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        self._governance = governance
        self._tokens = tokens
        self._tenant: UUID | None = None
        self._acknowledged = False

    async def send(self, message: Message) -> None:
        if not self._acknowledged and message["type"] == "websocket.send":
            self._acknowledged = _message_type(message.get("text")) == "connection_ack"
        await self._send(message)

    async def receive(self) -> Message:
        while True:
            message = await self._receive()
            if message["type"] != "websocket.receive":
                return message
            payload = _parse(message.get("text"))
            kind = payload.get("type") if payload else None
            if kind == "connection_init":
                self._tenant = self._tenant_of(payload.get("payload") if payload else None)
            elif kind in ("subscribe", "start") and self._acknowledged and self._tenant is not None:
                retry_after = await self._governance.rate_limits.tenant(self._tenant)
                if retry_after is not None:
                    await self._refuse(kind, payload.get("id") if payload else None, retry_after)
                    continue  # the operation never reaches GraphQL; read the next message
                self._governance.api_calls.count(self._tenant)
            return message

    def _tenant_of(self, params: Any) -> UUID | None:
        """The tenant of the connection_init token; None when absent or invalid (the view
        rejects the connection then, and nothing is counted)."""
        if not isinstance(params, dict):
            return None
        authorization = params.get("Authorization") or params.get("authorization")
        scheme, _, token = str(authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            return self._tokens.verify(token.strip()).tenant_id
        except AppError:
            return None

    async def _refuse(self, kind: str, operation_id: Any, retry_after: int) -> None:
        error = _rate_limited(retry_after)
        formatted = {
            "message": error.message,
            "extensions": {
                "code": error.code.value,
                **error.extensions,
                "requestId": self._scope.get("request_id"),
            },
        }
        # graphql-transport-ws sends a list of errors; legacy graphql-ws a single one.
        body = {
            "id": operation_id,
            "type": "error",
            "payload": [formatted] if kind == "subscribe" else formatted,
        }
        self._governance.metrics.rejected(tenant_id=self._tenant, code=error.code.value)
        log.info(
            "rate limited",
            limit="tenant",
            retry_after=retry_after,
            transport="websocket",
            tenant_id=str(self._tenant),
        )
        await self._send({"type": "websocket.send", "text": json.dumps(body)})


def _parse(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _message_type(text: str | None) -> str | None:
    payload = _parse(text)
    return str(payload.get("type")) if payload else None
