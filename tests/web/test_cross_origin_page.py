"""A page served from another origin, in chromium: on the allowed list it can query /graphql
and open the subscription; from any other origin the browser gets neither."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from iafactory.web.pages import STATIC
from tests.support.graphql import GraphQLClient, register
from tests.support.server import Server, free_port, start_server

pytestmark = pytest.mark.browser

# Queries `me` over HTTP, then subscribes over graphql-transport-ws with the vendored client;
# window.outcome holds what each step saw.
PAGE = """<!doctype html><meta charset="utf-8"><title>other origin</title>
<script type="module">
import { createClient } from "./client.js";
const params = new URLSearchParams(location.search);
const api = params.get("api"), token = params.get("token");
const outcome = {};
try {
  const response = await fetch(api + "/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
    body: JSON.stringify({ query: "{ me { user { email } } }" }),
  });
  const body = await response.json();
  outcome.email = body.data.me.user.email;
  outcome.requestId = response.headers.get("X-Request-ID");
} catch (error) {
  outcome.http = String(error);
}
outcome.subscription = await new Promise((resolve) => {
  const client = createClient({
    url: api.replace("http", "ws") + "/graphql", retryAttempts: 0, lazy: true,
    connectionParams: { Authorization: "Bearer " + token },
  });
  client.subscribe(
    { query: "subscription($id: ID!) { transcriptionProgress(id: $id) { transcription { id } } }",
      variables: { id: "00000000-0000-0000-0000-000000000000" } },
    { next: (result) => resolve(result.errors ? "graphql:" + result.errors[0].extensions.code : "event"),
      error: (error) => resolve(Array.isArray(error) ? "graphql:" + error[0].extensions.code
                                                     : "closed:" + error.code),
      complete: () => resolve("complete") },
  );
});
window.outcome = outcome;
</script>"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The same page on two ports: `allowed` (on the server's list) and `other`."""
    root = tmp_path_factory.mktemp("other-origin")
    (root / "index.html").write_text(PAGE)
    for file in (STATIC / "vendor" / "graphql-ws").glob("*.js"):
        shutil.copy(file, root / file.name)
    handler = functools.partial(QuietHandler, directory=str(root))
    servers = {
        name: ThreadingHTTPServer(("127.0.0.1", free_port()), handler) for name in ("allowed", "other")
    }
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {name: f"http://127.0.0.1:{server.server_address[1]}" for name, server in servers.items()}
    for server in servers.values():
        server.shutdown()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def listed_server(
    web_database_url: str, pages: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server whose IAFACTORY_CORS_ORIGINS names only the `allowed` page's origin."""
    running = start_server(
        web_database_url, tmp_path_factory.mktemp("listed"), IAFACTORY_CORS_ORIGINS=pages["allowed"]
    )
    yield running
    running.stop()


def outcome(browser: Any, page_origin: str, server: Server, token: str) -> dict[str, Any]:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{page_origin}/index.html?api={server.url}&token={token}")
        page.wait_for_function("window.outcome !== undefined", timeout=20_000)
        return dict(page.evaluate("window.outcome"))
    finally:
        context.close()


def test_a_page_on_an_allowed_origin_queries_and_subscribes(
    listed_server: Server, pages: dict[str, str], browser: Any
) -> None:
    account = register(GraphQLClient(listed_server.graphql_url), name="cors")
    seen = outcome(browser, pages["allowed"], listed_server, account.access_token)
    assert seen.get("email") == account.email, seen
    assert seen.get("requestId"), "X-Request-ID is exposed to the page"
    # The subscription ran: an unknown id answers NOT_FOUND through the protocol itself.
    assert seen["subscription"] == "graphql:NOT_FOUND", seen


def test_a_page_on_another_origin_can_neither_read_nor_subscribe(
    listed_server: Server, pages: dict[str, str], browser: Any
) -> None:
    account = register(GraphQLClient(listed_server.graphql_url), name="cors")
    seen = outcome(browser, pages["other"], listed_server, account.access_token)
    assert "email" not in seen, seen
    assert "Failed to fetch" in seen.get("http", ""), seen
    assert seen["subscription"].startswith("closed:"), seen
