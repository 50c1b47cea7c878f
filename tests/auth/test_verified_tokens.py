"""Verified tokens are remembered until they expire: a cached token answers as its first
verification did, an expired one is refused again, a bad one is never cached."""

from __future__ import annotations

import time
import uuid

import pytest

from iafactory.auth.principal import Role
from iafactory.auth.tokens import TokenService
from iafactory.errors import Unauthenticated


def service(*, ttl: int = 60, cache_size: int = 8) -> TokenService:
    return TokenService(
        secret="s" * 40, issuer="iafactory", audience="iafactory-api", ttl=ttl, cache_size=cache_size
    )


def issue(tokens: TokenService) -> str:
    issued = tokens.issue(user_id=uuid.uuid4(), tenant_id=uuid.uuid4(), role=Role.MEMBER, superadmin=False)
    return issued.token


def test_a_token_verified_once_gives_the_same_principal_again() -> None:
    tokens = service()
    token = issue(tokens)
    assert tokens.verify(token) is tokens.verify(token)


def test_a_cached_token_is_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = service(ttl=1)
    token = issue(tokens)
    principal = tokens.verify(token)
    later = principal.expires_at.timestamp() + 6  # past the 5 s leeway
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Unauthenticated):
        tokens.verify(token)


def test_a_token_with_a_bad_signature_is_refused_every_time() -> None:
    tokens = service()
    forged = issue(tokens)[:-4] + "AAAA"
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            tokens.verify(forged)


def test_the_cache_holds_at_most_its_size() -> None:
    tokens = service(cache_size=2)
    issued = [issue(tokens) for _ in range(3)]
    principals = [tokens.verify(token) for token in issued]
    assert tokens.verify(issued[2]) is principals[2]
    assert tokens.verify(issued[0]) is not principals[0], "the oldest went and was verified anew"
    assert tokens.verify(issued[0]) == principals[0]
