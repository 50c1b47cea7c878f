"""Access tokens: HS256 JWS signed and verified with joserfc, algorithm pinned.

Refresh tokens are opaque random strings; only their SHA-256 is stored (see db/queries/auth.py).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from iafactory.auth.principal import Principal, Role
from iafactory.errors import Unauthenticated

ALGORITHM = "HS256"
LEEWAY_SECONDS = 5
_INVALID = "Invalid or expired token."


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


class TokenService:
    """Issues and verifies access tokens.

    >>> service = TokenService(secret="s" * 32, issuer="iafactory", audience="iafactory-api", ttl=60)
    >>> issued = service.issue(user_id=uuid.uuid4(), tenant_id=None, role=None, superadmin=False)
    >>> service.verify(issued.token).superadmin
    False
    """

    def __init__(self, *, secret: str, issuer: str, audience: str, ttl: int, cache_size: int = 4096) -> None:
        self._key = OctKey.import_key(secret)
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl
        self._verified = VerifiedTokens(cache_size)
        self._claims_registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            jti={"essential": True},
        )

    def issue(
        self,
        *,
        user_id: uuid.UUID,
        tenant_id: uuid.UUID | None,
        role: Role | None,
        superadmin: bool,
        session_id: uuid.UUID | None = None,
        ttl: int | None = None,
    ) -> IssuedToken:
        """`session_id` becomes the `sid` claim; `ttl` may only shorten the configured one."""
        now = int(datetime.now(UTC).timestamp())
        lifetime = min(ttl, self._ttl) if ttl is not None else self._ttl
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
        }
        if session_id is not None:
            claims["sid"] = str(session_id)
        if tenant_id is not None and role is not None:
            claims["tenant_id"] = str(tenant_id)
            claims["role"] = role.value
        if superadmin:
            claims["superadmin"] = True
        token = jwt.encode({"alg": ALGORITHM}, claims, self._key, algorithms=[ALGORITHM])
        return IssuedToken(token=token, expires_at=datetime.fromtimestamp(now + lifetime, UTC))

    def principal(self, authorization: str | None) -> Principal | None:
        """The caller of an `Authorization` value (HTTP header, or the WebSocket's
        connection_init payload): None when absent, UNAUTHENTICATED when malformed or invalid."""
        token = bearer_token(authorization)
        return None if token is None else self.verify(token)

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; `Unauthenticated` for anything else."""
        principal = self._verified.get(token)
        if principal is None:
            principal = self._verify(token)
            self._verified.put(token, principal)
        return principal

    def _verify(self, token: str) -> Principal:
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            if decoded.header.get("alg") != ALGORITHM:
                raise Unauthenticated(_INVALID)
            self._claims_registry.validate(decoded.claims)
            return _principal_from_claims(decoded.claims)
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise Unauthenticated(_INVALID) from error


class VerifiedTokens:
    """Tokens whose signature and claims were checked, until they expire (with the same
    leeway): HMAC and claim checks cost more than the rest of a cached read. Keyed by the
    whole token, signature included, so only a byte-identical token hits; only valid tokens
    are kept, and at most `size` of them (oldest out first)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[0] <= time.time():
            del self._entries[token]
            return None  # verified again, and refused as expired
        return entry[1]

    def put(self, token: str, principal: Principal) -> None:
        if self._size <= 0:
            return
        while len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]
        self._entries[token] = (principal.expires_at.timestamp() + LEEWAY_SECONDS, principal)


def _principal_from_claims(claims: dict[str, Any]) -> Principal:
    tenant = claims.get("tenant_id")
    role = claims.get("role")
    superadmin = claims.get("superadmin", False)
    session = claims.get("sid")
    if not isinstance(superadmin, bool) or (tenant is None) != (role is None):
        raise ValueError("inconsistent claims")
    if role == Role.SUPPORT and (session is None or tenant is None or not superadmin):
        raise ValueError("a support token is a super-admin's, bound to a tenant and a session")
    return Principal(
        user_id=uuid.UUID(claims["sub"]),
        tenant_id=uuid.UUID(tenant) if tenant is not None else None,
        role=Role(role) if role is not None else None,
        superadmin=superadmin,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        token_id=str(claims["jti"]),
        session_id=uuid.UUID(str(session)) if session is not None else None,
        issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
    )


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value (HTTP header or the WebSocket's
    connection_init payload); None when absent; UNAUTHENTICATED when malformed.

    >>> bearer_token("Bearer abc.def.ghi")
    'abc.def.ghi'
    """
    if authorization is None:
        return None
    scheme, _, token = str(authorization).partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(_INVALID)
    return token.strip()


def new_secret() -> str:
    """An opaque one-time secret (refresh, invitation and password-reset tokens): 256 bits."""
    return secrets.token_urlsafe(32)


def hash_secret(token: str) -> bytes:
    """What the database stores of a secret: its SHA-256 (a 256-bit random secret needs no
    slow hash; a leaked table row cannot be turned back into a working link)."""
    return hashlib.sha256(token.encode()).digest()


new_refresh_token = new_secret
hash_refresh_token = hash_secret
