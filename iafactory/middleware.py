"""Transport hygiene for every route, pure ASGI, outermost first: a request id, then the
body limit (uploads included). Who is calling is the view's business (schema/view.py).

Pure ASGI (not BaseHTTPMiddleware) so that WebSockets pass through and a body is never
buffered here: the limit counts bytes as they stream in.
"""

from __future__ import annotations

import json
import re
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iafactory.errors import AppError, Forbidden, PayloadTooLarge
from iafactory.protocol.negotiation import negotiate, refusal

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
PREFLIGHT_HEADERS = (b"apollo-require-preflight", b"x-apollo-operation-name", b"graphql-preflight")
REST_PREFIX = "/api/"


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_error(scope: Scope, send: Send, error: AppError) -> None:
    """An error answered before the route runs: the seed's shape under /api, else GraphQL-shaped
    (not a well-formed request, so the error's own status whatever the negotiated media type)."""
    if str(scope.get("path", "")).startswith(REST_PREFIX):
        body = json.dumps({"detail": error.message, "code": error.code.value}).encode()
        status, content_type, extra = error.status(), "application/json", error.headers()
    else:
        answer = refusal(error, scope.get("request_id"), negotiate(header(scope, b"accept")), malformed=True)
        body, status = answer.encoded(), answer.status
        content_type, extra = answer.content_type, answer.headers
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(name.lower().encode(), value.encode()) for name, value in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    """Gives every request an id (a valid incoming X-Request-ID is kept), echoes it, adds
    X-Tenant-Context for authenticated requests, and binds both to every log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = header(scope, b"x-request-id")
        request_id = incoming if incoming and REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                principal = scope.get("principal")
                if principal is not None and principal.tenant_id is not None:
                    headers.append((b"x-tenant-context", str(principal.tenant_id).encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def forgeable_cross_site(scope: Scope) -> bool:
    """Whether a browser form on another site could have sent this multipart request.

    A form can send neither a preflight-forcing header nor an Authorization header. /graphql
    requires the former (GraphQL multipart request spec); the REST routes under /api, whose
    clients authenticate with `Authorization: Bearer`, accept the latter as proof too.
    """
    if any(header(scope, name) for name in PREFLIGHT_HEADERS):
        return False
    bearer = (header(scope, b"authorization") or "").lower().startswith("bearer ")
    return not (bearer and str(scope.get("path", "")).startswith(REST_PREFIX))


class BodyLimitMiddleware:
    """Every request body is bounded while it streams in, before anything buffers it.

    Multipart POSTs (file uploads) must not be forgeable cross-site (CSRF: see above) and get
    the upload limit (for /graphql and /api alike); any other body gets
    IAFACTORY_MAX_BODY_BYTES. A declared Content-Length over the limit is refused before one
    byte is read; a chunked body is counted and refused once it passes the limit.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (header(scope, b"content-type") or "").startswith("multipart/"):
            if forgeable_cross_site(scope):
                await send_error(
                    scope,
                    send,
                    Forbidden(
                        "Multipart requests need an Apollo-Require-Preflight header, or a Bearer"
                        " token under /api (CSRF guard)."
                    ),
                )
                return
            # Multipart framing adds a little around the file; the limit is on the whole body.
            limit = self.max_upload_bytes + 64 * 1024
            too_large = PayloadTooLarge(f"The upload is larger than {self.max_upload_bytes} bytes.")
        else:
            limit = self.max_body_bytes
            too_large = PayloadTooLarge(f"The request body is larger than {self.max_body_bytes} bytes.")
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_error(scope, send, too_large)
            return
        await self._counted(scope, receive, send, limit, too_large)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int, error: AppError) -> None:
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await send_error(scope, send, error)


class _BodyTooLarge(Exception):
    pass
