"""The web console works on a server that runs only trusted documents, with the setting that
production would use: IAFACTORY_TRUSTED_DOCUMENTS=console (its own manifest, shipped in the
package). A new user registers, creates a project and sees it listed; the server refused
nothing the console sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.graphql import PASSWORD
from tests.support.server import Server, start_server
from tests.web.conftest import VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect: Any = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def trusted_console_server(
    web_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    running = start_server(
        web_database_url, tmp_path_factory.mktemp("trusted-console"), IAFACTORY_TRUSTED_DOCUMENTS="console"
    )
    yield running
    running.stop()


def test_the_console_registers_and_creates_a_project_when_only_its_documents_may_run(
    browser: Any, trusted_console_server: Server
) -> None:
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    answers: list[Any] = []
    page.on(
        "response", lambda response: answers.append(response) if response.url.endswith("/graphql") else None
    )
    try:
        page.goto(f"{trusted_console_server.url}/#/")
        page.get_by_role("link", name="Create an account").click()
        page.get_by_label("Full name").fill("Grace Hopper")
        page.get_by_label("Email").fill(f"trusted-{uuid.uuid4().hex[:8]}@example.test")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Confirm the password").fill(PASSWORD)
        page.get_by_label("Workspace name").fill("Compilers")
        page.get_by_role("button", name="Create an account").click()
        expect(page.get_by_role("heading", name="Projects")).to_be_visible()
        page.get_by_label("Name").fill("COBOL")
        page.get_by_role("button", name="Create project").click()
        expect(page.locator("li[data-project='COBOL']")).to_be_visible()
        expect(page.get_by_text("1 project")).to_be_visible()
        refused = [answer.url for answer in answers if "PERSISTED_QUERY_NOT_ALLOWED" in answer.text()]
    finally:
        context.close()
    assert answers, "the console spoke GraphQL over HTTP"
    assert not refused, f"the server refused documents the console sent: {refused}"
