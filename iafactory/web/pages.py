"""The console's page and the package's static files (console modules, GraphiQL, vendored libraries).

Pages carry a Content-Security-Policy that allows only this origin: the browser itself then
refuses any asset or connection elsewhere, which is what "works with no internet" needs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # GraphiQL and preact set style attributes at run time.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Invitation and reset links carry their token in the URL: never send it as a referrer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
# Client-side routes of the console that a link may open directly (invitation, password reset).
CONSOLE_PATHS = ("/", "/accept", "/reset-password")


@cache
def page(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def html_page(name: str) -> HTMLResponse:
    return HTMLResponse(page(name), headers=PAGE_HEADERS)


async def console(_: Request) -> HTMLResponse:
    return html_page("console/index.html")


def web_routes() -> list[BaseRoute]:
    """`/` (the console) and `/static/*`; GraphiQL is rendered by the GraphQL view at `/graphql`."""
    return [
        *(Route(path, console, methods=["GET", "HEAD"]) for path in CONSOLE_PATHS),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
