"""What the GraphQL view adds for browsers: GraphiQL from the package, and the WebSocket
origin check against the same OriginPolicy as CORS (one answer for HTTP and WebSocket)."""

from __future__ import annotations

from typing import Any

from starlette.responses import HTMLResponse

from iafactory.auth.origins import OriginPolicy
from iafactory.web.pages import html_page


class BrowserFacingView:
    """Mixed into the Strawberry view, before it: `class View(BrowserFacingView, GraphQL)`."""

    origin_policy: OriginPolicy = OriginPolicy()

    def is_websocket_origin_allowed(self, request: Any, origin: str) -> bool:
        # Strawberry asks only for cross-origin handshakes (same-origin ones always pass).
        return self.origin_policy.allows(origin)

    async def render_graphql_ide(self, request: Any) -> HTMLResponse:
        # Strawberry's own template loads GraphiQL from a CDN; this page loads it from /static.
        return html_page("graphiql/index.html")
