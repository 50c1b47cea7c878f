"""IAFACTORY_CORS_ORIGINS: which browser origins may call the API (one policy, HTTP and WebSocket)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from iafactory.auth.origins import OriginPolicy
from iafactory.settings import Settings


def settings(**values: str) -> Settings:
    return Settings.model_validate(values)


def test_development_allows_local_dev_servers_on_any_port_by_default() -> None:
    policy = settings().origin_policy
    assert policy.allows("http://localhost:5173")
    assert policy.allows("http://127.0.0.1:3000")
    assert policy.allows("http://localhost")


def test_development_default_allows_no_other_origin() -> None:
    policy = settings().origin_policy
    for origin in (
        "https://localhost:5173",
        "http://localhost.evil.example",
        "http://10.0.0.1:80",
        "null",
        "",
    ):
        assert not policy.allows(origin), origin


def test_production_allows_no_origin_by_default() -> None:
    policy = OriginPolicy.from_setting(None, production=True)
    assert not policy.allows("http://localhost:5173")


def test_a_configured_list_replaces_the_default_and_is_normalised() -> None:
    policy = settings(
        IAFACTORY_CORS_ORIGINS=" https://App.Example.com:443 , http://localhost:8080"
    ).origin_policy
    assert policy.allows("https://app.example.com")
    assert policy.allows("http://localhost:8080")
    assert not policy.allows("http://localhost:5173"), "a list replaces the development default"


def test_an_empty_setting_allows_nobody() -> None:
    assert not settings(IAFACTORY_CORS_ORIGINS="").origin_policy.allows("http://localhost:5173")


def test_a_wildcard_is_refused_at_settings_validation() -> None:
    with pytest.raises(ValidationError, match="not allowed"):
        settings(IAFACTORY_CORS_ORIGINS="https://app.example.com,*")


@pytest.mark.parametrize("bad", ["app.example.com", "https://app.example.com/path", "ftp//x"])
def test_something_that_is_not_an_origin_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="Invalid origin"):
        settings(IAFACTORY_CORS_ORIGINS=bad)
