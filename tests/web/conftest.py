"""Browser fixtures: Debian's chromium driven by Playwright (never a downloaded browser), a
real `iafactory serve` with a transcription worker, and pages that may reach nothing but it.

Where no chromium can be had (`apt-get install chromium`), every browser test is skipped with
that reason; `.ci/run` installs it, so CI runs them.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.database import scratch_database
from tests.support.graphql import GraphQLClient, register
from tests.support.server import Server, start_server

CHROMIUM = os.environ.get("IAFACTORY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "mobile": {"width": 375, "height": 740}}
SESSION_KEY = "iafactory.console.session"


def browser_missing() -> str | None:
    """Why no browser test can run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM}: apt-get install -y chromium (or set IAFACTORY_CHROMIUM)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = browser_missing()
    for item in items:
        if "tests/web/" in str(item.fspath) and item.get_closest_marker("browser") and reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def web_database_url(admin_url: str) -> Iterator[str]:
    with scratch_database(admin_url, prefix="iafactory_web") as url:
        yield url


@pytest.fixture(scope="session")
def web_server(web_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`iafactory serve` on its own database, with one transcription worker (tiny.en)."""
    running = start_server(
        web_database_url,
        tmp_path_factory.mktemp("web-server"),
        IAFACTORY_TRANSCRIBE_WORKERS="1",
        IAFACTORY_TRANSCRIBE_POLL_SECONDS="0.5",
        IAFACTORY_WHISPER_THREADS="2",
    )
    yield running
    running.stop()


@pytest.fixture(scope="session")
def web_client(web_server: Server) -> GraphQLClient:
    return GraphQLClient(web_server.graphql_url)


@pytest.fixture(scope="module")
def browser(web_server: Server) -> Iterator[Any]:
    """One chromium per test module. Playwright's sync API keeps an event loop running in this
    thread while it is open, so it closes before other modules' asyncio tests run, and it starts
    after the session's servers and databases (set up with asyncio.run)."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Console:
    """A browser tab on the console; `outside` lists every request it tried beyond the server."""

    page: Any
    base_url: str
    shots: Path
    viewport: str
    outside: list[str] = field(default_factory=list)

    def open(self, route: str = "/") -> None:
        self.page.goto(f"{self.base_url}/#{route}")

    def shot(self, name: str) -> Path:
        path = self.shots / f"{self.viewport}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def nav(self, name: str) -> None:
        """Follows a main-navigation link (through the menu button on a narrow screen)."""
        self.page.locator(".topbar").wait_for()
        toggle = self.page.get_by_role("button", name="Menu")
        if toggle.is_visible():
            toggle.click()
        self.page.get_by_role("navigation", name="Main navigation").get_by_role("link", name=name).click()


def sign_in_script(payload: dict[str, Any]) -> str:
    """An init script that puts a session (from the API) where the console keeps it."""
    value = json.dumps({k: payload[k] for k in ("accessToken", "refreshToken", "expiresAt")})
    # Once per tab: a reload must keep what the console did since (a refresh, a sign-out).
    return (
        "if (!sessionStorage.getItem('test.seeded')) {"
        f" sessionStorage.setItem({json.dumps(SESSION_KEY)}, {json.dumps(value)});"
        " sessionStorage.setItem('test.seeded', '1'); }"
    )


@pytest.fixture(params=list(VIEWPORTS))
def console(
    request: pytest.FixtureRequest, browser: Any, web_server: Server, tmp_path: Path
) -> Iterator[Console]:
    """A fresh browser context (English, no session) at desktop width and at 375 px."""
    viewport = request.param
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="en-US")
    context.set_default_timeout(15_000)
    tab = Console(page=context.new_page(), base_url=web_server.url, shots=tmp_path, viewport=viewport)

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith((web_server.url, "data:", "blob:")):
            route.continue_()
        else:
            tab.outside.append(url)
            route.abort()

    context.route("**/*", guard)
    yield tab
    context.close()
    assert not tab.outside, f"the console asked for something beyond its server: {tab.outside}"


LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken refreshToken expiresAt }
}
"""


def login(client: GraphQLClient, email: str, password: str) -> dict[str, Any]:
    """A session for an existing user, as the API hands it to the console."""
    return dict(client.data(LOGIN, {"email": email, "password": password})["login"])


@pytest.fixture
def signed_in(web_client: GraphQLClient) -> Callable[[Console, str], dict[str, Any]]:
    """Registers a user through the API and opens the console signed in as them."""

    def sign_in(tab: Console, name: str = "web") -> dict[str, Any]:
        account = register(web_client, name=name)
        payload = login(web_client, account.email, account.password)
        tab.page.context.add_init_script(sign_in_script(payload))
        return {"account": account, **payload}

    return sign_in
