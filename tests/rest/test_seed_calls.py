"""shared/SEED_CALLS.md, run literally against `iafactory serve`: the earlier REST version's
clients get the answers they were written for."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import Server

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
SEED_USER = {"email": "test@iafactory.dz", "password": "SecurePass123!", "full_name": "Test User"}


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


@pytest.fixture(scope="module")
def registered(rest_server: Server) -> httpx.Response:
    return httpx.post(f"{rest_server.url}/api/auth/register", json=SEED_USER, timeout=30)


@pytest.fixture(scope="module")
def token(rest_server: Server, registered: httpx.Response) -> str:
    response = httpx.post(
        f"{rest_server.url}/api/auth/login/json",
        json={"email": "test@iafactory.dz", "password": "SecurePass123!"},
        timeout=30,
    )
    return str(response.json()["access_token"])


def test_register_answers_201_with_the_user_and_a_jwt_carrying_tenant_id(registered: httpx.Response) -> None:
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["user"] == {**body["user"], "email": "test@iafactory.dz", "full_name": "Test User"}
    assert body["token_type"] == "bearer"
    assert claims(body["access_token"])["tenant_id"]
    assert registered.headers["x-request-id"]


def test_login_json_answers_the_bearer_token(rest_server: Server, registered: httpx.Response) -> None:
    response = httpx.post(
        f"{rest_server.url}/api/auth/login/json",
        headers={"Content-Type": "application/json"},
        content=b'{"email": "test@iafactory.dz", "password": "SecurePass123!"}',
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
    assert (
        claims(response.json()["access_token"])["exp"] - claims(response.json()["access_token"])["iat"]
        == 1800
    )


def test_login_with_the_oauth2_password_form(rest_server: Server, registered: httpx.Response) -> None:
    response = httpx.post(
        f"{rest_server.url}/api/auth/login",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        content=b"username=test@iafactory.dz&password=SecurePass123!",
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "refresh_token", "token_type"}


def test_me_answers_the_caller_with_the_tenant_context_header(rest_server: Server, token: str) -> None:
    response = httpx.get(f"{rest_server.url}/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "email", "full_name", "tenant_id", "role", "is_superadmin"}
    assert (body["email"], body["role"], body["is_superadmin"]) == ("test@iafactory.dz", "OWNER", False)
    assert body["tenant_id"] == claims(token)["tenant_id"] == response.headers["x-tenant-context"]


def test_projects_lists_the_callers_tenant(rest_server: Server, token: str) -> None:
    response = httpx.get(f"{rest_server.url}/api/projects", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert isinstance(response.json(), list)


@pytest.mark.slow
def test_transcribe_a_french_clip_answers_the_text_and_the_tenant_header(
    rest_server: Server, token: str
) -> None:
    with (AUDIO / "speech_fr.wav").open("rb") as clip:
        response = httpx.post(
            f"{rest_server.url}/api/voice-agent/transcribe",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": ("test_audio.wav", clip, "audio/wav")},
            data={"language": "fr"},
            timeout=300,
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"id", "status", "text", "language", "duration", "segments"}
    assert (body["status"], body["language"]) == ("COMPLETED", "fr")
    heard = [
        w
        for w in ("reconnaissance", "langue", "modèle", "écoute", "texte", "calcul")
        if w in body["text"].lower()
    ]
    assert len(heard) >= 4, f"French words of the clip heard: {heard} in {body['text']!r}"
    assert body["segments"]
    assert set(body["segments"][0]) == {"start", "end", "text"}
    assert response.headers["x-tenant-context"] == claims(token)["tenant_id"]
    again = httpx.get(
        f"{rest_server.url}/api/voice-agent/transcriptions/{body['id']}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert (again.status_code, again.json()["text"]) == (200, body["text"])


@pytest.mark.parametrize("path", ["/health", "/api/voice-agent/health", "/api/auth/health"])
def test_health_routes_answer_ok(rest_server: Server, path: str) -> None:
    response = httpx.get(f"{rest_server.url}{path}")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["x-request-id"]


def test_voice_health_says_whether_the_model_is_loadable(rest_server: Server) -> None:
    assert httpx.get(f"{rest_server.url}/api/voice-agent/health").json()["model_loadable"] is True
