"""The console's other pages (members, usage, audit log, account, super-admin tenants), its
two languages, its wording of every contract error, and its silent token refresh."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from iafactory.errors import ErrorCode
from tests.support.graphql import PASSWORD, GraphQLClient, register
from tests.support.server import REPO_ROOT, Server, start_server
from tests.web.conftest import Console, login, sign_in_script

pytestmark = pytest.mark.browser
expect: Any = pytest.importorskip("playwright.sync_api").expect

CONTRACT_CODES = [code.value for code in ErrorCode] + [
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_NOT_ALLOWED",
]


def test_an_owner_sees_members_usage_audit_log_and_account(
    console: Console, signed_in: Callable[..., Any]
) -> None:
    page = console.page
    session = signed_in(console, "owner")
    console.open("/projects")
    for link, heading in (
        ("Members", "Members"),
        ("Usage", "Usage"),
        ("Audit log", "Audit log"),
        ("Account", "Account"),
    ):
        console.nav(link)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(page.locator("[aria-busy=true]")).to_have_count(0)
        console.shot(heading.lower().replace(" ", "-"))
        if heading == "Members":
            expect(page.get_by_role("list", name="Members")).to_contain_text(session["account"].email)
        if heading == "Usage":
            expect(page.get_by_role("meter", name="Projects")).to_have_attribute("aria-valuemax", "20")
        if heading == "Audit log":
            expect(page.get_by_role("table")).to_contain_text("login")


def test_the_console_follows_the_browsers_language_and_switches(browser: Any, web_server: Server) -> None:
    context = browser.new_context(locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(web_server.url)
        expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == "fr"
        page.get_by_label("Langue").select_option("en")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.reload()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible(), "the choice is remembered"
    finally:
        context.close()


WORDING = """async ([codes]) => {
  const i18n = await import("./static/console/lib/i18n.js");
  const { describe } = await import("./static/console/lib/errors.js");
  const { en } = await import("./static/console/lib/messages-en.js");
  const { fr } = await import("./static/console/lib/messages-fr.js");
  const words = {};
  for (const language of ["en", "fr"]) {
    i18n.setLanguage(language);
    const title = (code) => describe({ code, retryAfter: 42 }).title;
    words[language] = Object.fromEntries(codes.map((code) => [code, title(code)]));
  }
  return { words, en: Object.keys(en).sort(), fr: Object.keys(fr).sort() };
}"""


def test_every_contract_error_code_has_its_own_message_in_both_languages(
    browser: Any, web_server: Server
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(web_server.url)
        result = page.evaluate(WORDING, [CONTRACT_CODES])
    finally:
        context.close()
    assert result["en"] == result["fr"], "French and English have the same keys"
    for language, words in result["words"].items():
        assert all(text and not text.startswith("errors.") for text in words.values()), words
        assert len(set(words.values())) == len(words), f"{language}: one message per code"
        assert "42" in words["RATE_LIMITED"], "the rate limit's retry time is shown"
    assert result["words"]["en"]["QUOTA_EXCEEDED"] != result["words"]["fr"]["QUOTA_EXCEEDED"]


def test_every_message_key_the_console_uses_exists() -> None:
    sources = (REPO_ROOT / "iafactory" / "web" / "static" / "console").rglob("*.js")
    used = {
        key for source in sources for key in re.findall(r"""\bt\(\s*["']([\w.]+)["']""", source.read_text())
    }
    english = (REPO_ROOT / "iafactory" / "web" / "static" / "console" / "lib" / "messages-en.js").read_text()
    missing = sorted(key for key in used if f'"{key}":' not in english)
    assert not missing, missing


@pytest.fixture(scope="module")
def superadmin(web_database_url: str) -> dict[str, str]:
    email = f"root-{uuid.uuid4().hex[:8]}@example.test"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "iafactory.cli",
            "superadmin",
            "create",
            "--email",
            email,
            "--password",
            PASSWORD,
        ],
        env={**os.environ, "DATABASE_URL": web_database_url},
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    return {"email": email, "password": PASSWORD}


def test_a_superadmin_creates_a_tenant_changes_its_plan_and_suspends_it(
    console: Console, superadmin: dict[str, str], web_client: GraphQLClient
) -> None:
    payload = login(web_client, superadmin["email"], superadmin["password"])
    console.page.context.add_init_script(sign_in_script(payload))
    page = console.page
    console.open("/")
    expect(page.get_by_role("heading", name="Tenants")).to_be_visible()
    slug = f"acme-{uuid.uuid4().hex[:6]}"
    form = page.get_by_role("form", name="New tenant")
    form.get_by_label("Name").fill("Acme Corp")
    form.get_by_label("Identifier (slug)").fill(slug)
    form.get_by_role("button", name="Create the tenant").click()
    row = page.locator(f"li[data-tenant='{slug}']")
    expect(row).to_contain_text("Active")
    row.get_by_label("Plan of Acme Corp").select_option("PRO")
    expect(row.get_by_label("Plan of Acme Corp")).to_have_value("PRO")
    row.get_by_role("button", name="Suspend").click()
    row.get_by_role("button", name="Suspend the tenant").click()
    expect(row).to_contain_text("Suspended")
    console.shot("tenants")
    row.get_by_role("button", name="Resume").click()
    expect(row).to_contain_text("Active")


def test_a_superadmin_enters_a_tenant_read_only_for_support(
    console: Console, superadmin: dict[str, str], web_client: GraphQLClient
) -> None:
    target = register(web_client, name="supported")
    payload = login(web_client, superadmin["email"], superadmin["password"])
    console.page.context.add_init_script(sign_in_script(payload))
    page = console.page
    console.open("/admin")
    row = page.locator(f"li[data-tenant='{target.tenant_slug}']")
    row.get_by_role("button", name="Support session").click()
    row.get_by_label("Reason").fill("Ticket 42: cannot see a project")
    row.get_by_role("button", name="Enter read-only").click()
    expect(page.get_by_text("Support session in")).to_be_visible(timeout=3_000)
    expect(page.get_by_role("button", name="Create project")).to_have_count(0)


@pytest.fixture(scope="module")
def short_token_server(web_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Access tokens that live 6 seconds: the console must refresh them without a word."""
    running = start_server(web_database_url, tmp_path_factory.mktemp("short"), IAFACTORY_ACCESS_TOKEN_TTL="6")
    yield running
    running.stop()


@pytest.mark.slow
def test_the_session_is_refreshed_silently_before_the_token_expires(
    browser: Any, short_token_server: Server, tmp_path: Path
) -> None:
    account = register(GraphQLClient(short_token_server.graphql_url), name="refresh")
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(short_token_server.url)
        page.get_by_label("Email").fill(account.email)
        page.get_by_label("Password").fill(account.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Projects")).to_be_visible()
        stored = "sessionStorage.getItem('iafactory.console.session')"
        first = page.evaluate(stored)
        for _ in range(50):  # polled from here: the page's CSP forbids wait_for_function's eval
            if page.evaluate(stored) != first:
                break
            page.wait_for_timeout(200)
        assert page.evaluate(stored) != first, "the tokens were rotated before expiry"
        page.wait_for_timeout(7_000)  # past the first token's expiry: it was refreshed in time again
        page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Usage").click()
        expect(page.get_by_role("meter", name="Projects")).to_be_visible()
        assert "cookie" not in page.evaluate("document.cookie || 'no'"), "tokens never go into cookies"
        page.screenshot(path=str(tmp_path / "refreshed.png"))
    finally:
        context.close()
