"""CORS for `/graphql` and `/api/*`, with Starlette's CORSMiddleware, from one OriginPolicy.

Only requests from an allowed origin reach CORSMiddleware: any other origin gets no CORS
header at all (not even the preflight's allowed methods), so a browser page there can read
nothing. No credentials mode: tokens travel in the Authorization header, never in cookies.
The WebSocket handshake is checked by the GraphQL view against the same policy.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from iafactory.auth.origins import OriginPolicy

CORS_PATHS = ("/graphql", "/api/")
ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "X-Request-ID",
    # Uploads must carry one of these (the CSRF guard): a cross-origin console sends them.
    "Apollo-Require-Preflight",
    "X-Apollo-Operation-Name",
    "GraphQL-Preflight",
)
# Response headers a page on another origin may read (Retry-After for RATE_LIMITED).
EXPOSED_HEADERS = ("X-Request-ID", "X-Tenant-Context", "Retry-After")


def is_cors_path(path: str) -> bool:
    return path == "/graphql" or path.startswith(CORS_PATHS[1])


class CrossOriginMiddleware:
    """Pure ASGI: answers preflights and echoes allowed origins on `/graphql` and `/api/*`."""

    def __init__(self, app: ASGIApp, *, policy: OriginPolicy, max_age: int = 600) -> None:
        self.app = app
        self.policy = policy
        self.cors = CORSMiddleware(
            app,
            allow_origins=sorted(policy.origins),
            allow_origin_regex=policy.pattern,
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            allow_credentials=False,
            expose_headers=EXPOSED_HEADERS,
            max_age=max_age,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and is_cors_path(scope["path"])
            and self.policy.allows(Headers(scope=scope).get("origin"))
        ):
            await self.cors(scope, receive, send)
            return
        await self.app(scope, receive, send)
