"""The console at / and GraphiQL at /graphql reference nothing outside the server: every
script, stylesheet, module import and font is served from the package."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.support.server import Server

HTML = {"Accept": "text/html"}
IMPORT = re.compile(
    r"""(?:^|[;\n}])\s*(?:import|export)\b[^"'`;]*?from\s*["']([^"']+)["']|import\s*["']([^"']+)["']"""
)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")


class References(HTMLParser):
    """Every URL an HTML page names (src, href, and the like)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "data", "poster", "srcset") and value:
                self.urls.append(value)


def referenced(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    return parser.urls


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.netloc) or url.startswith("//") or parts.scheme not in ("", "data")


def page(server: Server, path: str) -> httpx.Response:
    response = httpx.get(f"{server.url}{path}", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response


@pytest.mark.parametrize("path", ["/", "/graphql"])
def test_the_page_references_no_external_url(web_server: Server, path: str) -> None:
    html = page(web_server, path).text
    urls = referenced(html)
    assert urls, "the page loads its assets"
    assert [url for url in urls if is_external(url)] == []
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html), "no absolute URL anywhere in the HTML"


@pytest.mark.parametrize("path", ["/", "/graphql"])
def test_every_asset_the_page_loads_is_served_by_the_server(web_server: Server, path: str) -> None:
    """Follows scripts, stylesheets and ES module imports transitively: all local, all 200."""
    base = f"{web_server.url}{path}"
    pending = [urljoin(base, url) for url in referenced(page(web_server, path).text)]
    seen: set[str] = set()
    while pending:
        url = pending.pop()
        if url in seen or url.startswith("data:"):
            continue
        seen.add(url)
        assert url.startswith(web_server.url), f"{url} is outside the server"
        response = httpx.get(url)
        assert response.status_code == 200, url
        if (url.endswith(".js") and "/vendor/" not in url) or url.endswith("client.js"):
            for match in IMPORT.finditer(response.text):
                pending.append(urljoin(url, match.group(1) or match.group(2)))
        if url.endswith(".css"):
            pending += [urljoin(url, ref) for ref in CSS_URL.findall(response.text)]
    assert any(url.endswith("standalone.module.js") or url.endswith("graphiql.min.js") for url in seen)


@pytest.mark.parametrize("path", ["/", "/graphql"])
def test_the_page_forbids_loading_anything_from_elsewhere(web_server: Server, path: str) -> None:
    headers = page(web_server, path).headers
    policy = headers["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "connect-src 'self'"):
        assert directive in policy
    assert headers["referrer-policy"] == "no-referrer", "invitation links carry a token"


def test_invitation_and_reset_links_open_the_console(web_server: Server) -> None:
    for path in ("/accept?token=abc", "/reset-password?token=abc"):
        assert 'id="app"' in page(web_server, path).text


@pytest.mark.browser
def test_graphiql_loads_with_its_examples_and_the_schema_offline(
    web_server: Server, browser: Any, tmp_path: Any
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    outside: list[str] = []
    problems: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith((web_server.url, "data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on("console", lambda message: message.type == "error" and problems.append(message.text))
    try:
        with tab.expect_response(
            lambda response: "/graphql" in response.url and response.request.method == "POST"
        ):
            tab.goto(f"{web_server.url}/graphql")  # GraphiQL introspects the schema at once
        tab.wait_for_selector(".graphiql-container .CodeMirror")
        assert "mutation Login" in tab.inner_text(".graphiql-query-editor")
        tab.screenshot(path=str(tmp_path / "graphiql.png"))
    finally:
        context.close()
    assert outside == [], outside
    assert problems == [], problems
