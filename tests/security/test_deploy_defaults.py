"""Issue 9, finding 9: nothing ships a usable secret, and production refuses placeholders.
docker-compose.yml used to carry a public default JWT secret long enough to pass the length
check, and ran development mode (GraphiQL, introspection, /metrics) on 0.0.0.0."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from iafactory.settings import Settings

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = {"IAFACTORY_ENV": "production", "DATABASE_URL": "postgresql://db/iafactory"}
SHIPPED = ["docker-compose.yml", "Dockerfile", "Makefile", "README.md", ".env.example"]


def compose_services() -> dict[str, dict[str, object]]:
    services: dict[str, dict[str, object]] = yaml.safe_load((REPO / "docker-compose.yml").read_text())[
        "services"
    ]
    return services


def environment_of(service: dict[str, object]) -> dict[str, str]:
    environment = service.get("environment") or {}
    assert isinstance(environment, dict)
    return {str(k): str(v) for k, v in environment.items()}


def test_compose_requires_a_jwt_secret_and_ships_none() -> None:
    for name, service in compose_services().items():
        if name == "db":
            continue
        secret = environment_of(service).get("IAFACTORY_JWT_SECRET", "")
        assert re.fullmatch(r"\$\{IAFACTORY_JWT_SECRET:\?[^}]*\}", secret), (
            f"{name}: compose must refuse to start without IAFACTORY_JWT_SECRET, not default it ({secret!r})"
        )


def test_compose_runs_production_mode() -> None:
    for name, service in compose_services().items():
        if name != "db":
            assert environment_of(service).get("IAFACTORY_ENV") == "production", name


def test_no_shipped_file_holds_a_default_secret() -> None:
    for name in SHIPPED:
        path = REPO / name
        if path.exists():
            text = path.read_text()
            assert not re.search(r"IAFACTORY_JWT_SECRET[:=]?\s*[\"']?[\w$-]*:-", text), (
                f"{name} defaults the secret"
            )
            assert "change-me" not in text.lower(), name


@pytest.mark.parametrize(
    "placeholder",
    [
        "change-me-change-me-change-me-change-me",
        "x" * 64,
        "secretsecretsecretsecretsecretsecret",
        "your-256-bit-secret-your-256-bit-secret",
        "abcd" * 12,
        "please-set-a-real-jwt-secret-here-in-production",
    ],
)
def test_production_refuses_a_placeholder_or_low_entropy_secret(placeholder: str) -> None:
    with pytest.raises(ValidationError, match="IAFACTORY_JWT_SECRET"):
        Settings(**PRODUCTION, IAFACTORY_JWT_SECRET=placeholder)  # type: ignore[arg-type]


def test_production_accepts_a_random_secret() -> None:
    for secret in (secrets.token_urlsafe(32), secrets.token_hex(32), secrets.token_urlsafe(64)):
        assert Settings(**PRODUCTION, IAFACTORY_JWT_SECRET=secret).is_production  # type: ignore[arg-type]


def test_development_still_starts_without_a_secret(tmp_path: Path) -> None:
    settings = Settings(IAFACTORY_ENV="development", IAFACTORY_DATA_DIR=str(tmp_path))  # type: ignore[arg-type]
    assert len(settings.signing_secret()) >= 32
