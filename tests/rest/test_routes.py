"""The REST routes' own rules: status codes, the seed's error body, tenant isolation between
two REST users, 403 "Tenant ID required", the upload guard, the OpenAPI page."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.helpers import cli_inline
from tests.support.graphql import PASSWORD, error_codes
from tests.support.server import Server


def signup(server: Server, name: str) -> dict[str, str]:
    """A REST user of its own tenant: its Authorization header."""
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.dz"
    response = httpx.post(f"{server.url}/api/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def create(server: Server, auth: dict[str, str], **project: Any) -> dict[str, Any]:
    response = httpx.post(f"{server.url}/api/projects", headers=auth, json=project)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def alice(rest_server: Server) -> dict[str, str]:
    return signup(rest_server, "alice")


@pytest.fixture(scope="module")
def bob(rest_server: Server) -> dict[str, str]:
    return signup(rest_server, "bob")


def test_two_rest_users_see_only_their_own_projects(
    rest_server: Server, alice: dict[str, str], bob: dict[str, str]
) -> None:
    mine, theirs = create(rest_server, alice, name="Alice's"), create(rest_server, bob, name="Bob's")
    alice_list = [p["id"] for p in httpx.get(f"{rest_server.url}/api/projects", headers=alice).json()]
    bob_list = [p["id"] for p in httpx.get(f"{rest_server.url}/api/projects", headers=bob).json()]
    assert mine["id"] in alice_list
    assert theirs["id"] not in alice_list
    assert theirs["id"] in bob_list
    assert mine["id"] not in bob_list


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_another_tenants_project_is_404(
    rest_server: Server, alice: dict[str, str], bob: dict[str, str], method: str
) -> None:
    theirs = create(rest_server, bob, name="private")
    response = httpx.request(
        method,
        f"{rest_server.url}/api/projects/{theirs['id']}",
        headers=alice,
        json={"name": "x"} if method == "PUT" else None,
    )
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    still = httpx.get(f"{rest_server.url}/api/projects/{theirs['id']}", headers=bob).json()
    assert still["name"] == "private"


def test_a_project_is_created_read_updated_and_deleted(rest_server: Server, alice: dict[str, str]) -> None:
    created = create(rest_server, alice, name="Atlas", description="maps")
    assert set(created) == {"id", "name", "description", "created_at", "updated_at"}
    url = f"{rest_server.url}/api/projects/{created['id']}"
    assert httpx.get(url, headers=alice).json() == created
    updated = httpx.put(url, headers=alice, json={"description": "cartes"}).json()
    assert (updated["name"], updated["description"]) == ("Atlas", "cartes")
    deleted = httpx.delete(url, headers=alice)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert httpx.get(url, headers=alice).status_code == 404


def test_projects_page_with_limit_and_offset_newest_first(rest_server: Server) -> None:
    auth = signup(rest_server, "pager")
    names = [create(rest_server, auth, name=f"p{i}")["name"] for i in range(5)]
    page = httpx.get(f"{rest_server.url}/api/projects?limit=2&offset=1", headers=auth).json()
    assert [p["name"] for p in page] == [names[3], names[2]]
    assert httpx.get(f"{rest_server.url}/api/projects?limit=abc", headers=auth).status_code == 422


def test_a_token_without_a_tenant_gets_403_tenant_id_required(
    rest_server: Server, rest_database_url: str
) -> None:
    email = f"root-{uuid.uuid4().hex[:8]}@example.dz"
    done = cli_inline(
        "superadmin", "create", "--email", email, "--password", PASSWORD, database_url=rest_database_url
    )
    assert done.exit_code == 0, done.output
    login = httpx.post(f"{rest_server.url}/api/auth/login/json", json={"email": email, "password": PASSWORD})
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for path in ("/api/auth/me", "/api/projects"):
        response = httpx.get(f"{rest_server.url}{path}", headers=auth)
        assert (response.status_code, response.json()) == (
            403,
            {"detail": "Tenant ID required", "code": "TENANT_REQUIRED"},
        )


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        (
            "/api/auth/login/json",
            {"email": "nobody@example.dz", "password": "wrong password"},
            401,
            "UNAUTHENTICATED",
        ),
        ("/api/auth/login/json", {"email": "only@example.dz"}, 422, "BAD_USER_INPUT"),
        ("/api/auth/register", {"email": "weak@example.dz", "password": "123"}, 400, "BAD_USER_INPUT"),
    ],
)
def test_errors_have_the_seed_shape_and_the_contract_code(
    rest_server: Server, path: str, body: dict[str, str], status: int, code: str
) -> None:
    response = httpx.post(f"{rest_server.url}{path}", json=body)
    assert response.status_code == status
    assert set(response.json()) == {"detail", "code"}
    assert response.json()["code"] == code
    assert response.headers["x-request-id"]


def test_register_twice_is_409(rest_server: Server) -> None:
    email = f"twice-{uuid.uuid4().hex[:8]}@example.dz"
    assert (
        httpx.post(
            f"{rest_server.url}/api/auth/register", json={"email": email, "password": PASSWORD}
        ).status_code
        == 201
    )
    again = httpx.post(f"{rest_server.url}/api/auth/register", json={"email": email, "password": PASSWORD})
    assert (again.status_code, again.json()["code"]) == (409, "CONFLICT")


def test_no_token_is_401_with_a_bearer_challenge(rest_server: Server) -> None:
    response = httpx.get(f"{rest_server.url}/api/projects")
    assert (response.status_code, response.headers["www-authenticate"]) == (401, "Bearer")


def test_a_multipart_post_without_bearer_or_preflight_is_refused_under_api(rest_server: Server) -> None:
    response = httpx.post(f"{rest_server.url}/api/voice-agent/transcribe", files={"file": ("a.wav", b"RIFF")})
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")


def test_a_cookieless_form_post_to_graphql_is_still_refused_even_with_a_bearer(
    rest_server: Server, alice: dict[str, str]
) -> None:
    response = httpx.post(
        f"{rest_server.url}/graphql",
        headers=alice,
        data={"operations": "{}", "map": "{}"},
        files={"0": ("a.wav", b"RIFF")},
    )
    assert response.status_code == 403
    assert error_codes(response.json()) == ["FORBIDDEN"]


def test_an_upload_over_the_limit_is_413_while_it_streams(rest_server: Server, alice: dict[str, str]) -> None:
    big = b"\0" * (26_214_400 + 200_000)
    response = httpx.post(
        f"{rest_server.url}/api/voice-agent/transcribe",
        headers=alice,
        files={"file": ("big.wav", big)},
        timeout=60,
    )
    assert (response.status_code, response.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")


def test_not_audio_is_415(rest_server: Server, alice: dict[str, str]) -> None:
    response = httpx.post(
        f"{rest_server.url}/api/voice-agent/transcribe",
        headers=alice,
        files={"file": ("notes.txt", b"meeting notes")},
    )
    assert (response.status_code, response.json()["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")


def test_another_tenants_transcription_is_404(rest_server: Server, alice: dict[str, str]) -> None:
    response = httpx.get(f"{rest_server.url}/api/voice-agent/transcriptions/{uuid.uuid4()}", headers=alice)
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")


def test_the_openapi_description_lists_every_seed_route(rest_server: Server) -> None:
    spec = httpx.get(f"{rest_server.url}/api/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert {
        "/api/auth/register",
        "/api/auth/login",
        "/api/auth/login/json",
        "/api/auth/me",
        "/api/projects",
        "/api/projects/{id}",
        "/api/voice-agent/transcribe",
        "/api/voice-agent/transcriptions/{id}",
        "/health",
        "/api/auth/health",
        "/api/voice-agent/health",
    } <= set(spec["paths"])


def test_the_docs_page_loads_only_local_assets(rest_server: Server) -> None:
    page = httpx.get(f"{rest_server.url}/api/docs")
    assert page.status_code == 200
    assert "://" not in page.text, "no CDN: every asset is served by this server"
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "init.js"):
        assert httpx.get(f"{rest_server.url}/api/docs/assets/{asset}").status_code == 200, asset
