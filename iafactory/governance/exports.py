"""OWNERs' self-service export: `requestTenantExport` signs a short-lived link, and
GET /exports/{token} streams the tenant's export file (export_format.md).

The link is a JWS (HS256, the server's signing key) whose audience is not the API's, so it
can never be used as an access token, nor an access token as a link. It names the tenant
and the user; at download time the database must still say that user is an OWNER of that
tenant, and a request that also carries an access token must carry one of the same tenant.
Links are short-lived (IAFACTORY_EXPORT_LINK_TTL), not single-use: treat one like the file.
The download is audited in the tenant (`export.download`) and never carries password hashes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from iafactory.errors import ErrorCode
from iafactory.governance.portability import export_tenant
from iafactory.settings import Settings

ALGORITHM = "HS256"
PATH = "/exports/{token}"


@dataclass(frozen=True, slots=True)
class ExportLink:
    token: str
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    audio: bool
    expires_at: datetime

    @property
    def url(self) -> str:
        """Relative to the API's origin."""
        return PATH.format(token=self.token)


class ExportLinks:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._audience = f"{settings.jwt_audience}:tenant-export"
        self._ttl = settings.export_link_ttl
        self._claims = jwt.JWTClaimsRegistry(
            leeway=5,
            iss={"essential": True, "value": settings.jwt_issuer},
            aud={"essential": True, "value": self._audience},
            exp={"essential": True},
            sub={"essential": True},
            tenant_id={"essential": True},
        )

    def _key(self) -> OctKey:
        return OctKey.import_key(self._settings.signing_secret())

    def issue(self, *, tenant_id: uuid.UUID, user_id: uuid.UUID, audio: bool) -> ExportLink:
        now = int(datetime.now(UTC).timestamp())
        claims = {
            "iss": self._settings.jwt_issuer,
            "aud": self._audience,
            "sub": str(user_id),
            "tenant_id": str(tenant_id),
            "audio": audio,
            "iat": now,
            "exp": now + self._ttl,
            "jti": str(uuid.uuid4()),
        }
        token = jwt.encode({"alg": ALGORITHM}, claims, self._key(), algorithms=[ALGORITHM])
        return ExportLink(token, tenant_id, user_id, audio, datetime.fromtimestamp(now + self._ttl, UTC))

    def verify(self, token: str) -> ExportLink | None:
        try:
            decoded = jwt.decode(token, self._key(), algorithms=[ALGORITHM])
            self._claims.validate(decoded.claims)
            claims = decoded.claims
            return ExportLink(
                token,
                uuid.UUID(claims["tenant_id"]),
                uuid.UUID(claims["sub"]),
                bool(claims.get("audio", False)),
                datetime.fromtimestamp(int(claims["exp"]), UTC),
            )
        except (JoseError, ValueError, TypeError, KeyError):
            return None


def _error(request: Request, status: int, code: ErrorCode, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "data": None,
            "errors": [
                {
                    "message": message,
                    "extensions": {"code": code.value, "requestId": request.scope.get("request_id")},
                }
            ],
        },
        status_code=status,
    )


def download_endpoint(links: ExportLinks, pool: Any) -> Any:
    """The Starlette endpoint for GET /exports/{token}; `pool` returns the asyncpg pool."""

    async def download(request: Request) -> Response:
        link = links.verify(request.path_params["token"])
        if link is None:
            return _error(
                request, 401, ErrorCode.UNAUTHENTICATED, "This download link is invalid or has expired."
            )
        principal = request.scope.get("principal")
        if principal is not None and principal.tenant_id != link.tenant_id:
            return _error(request, 404, ErrorCode.NOT_FOUND, "Not found.")
        async with pool().acquire() as connection, connection.transaction():
            await connection.execute("SET LOCAL ROLE iafactory_owner")
            row = await connection.fetchrow(
                "SELECT t.slug, m.role FROM tenants t JOIN tenant_memberships m"
                " ON m.tenant_id = t.id AND m.user_id = $2 WHERE t.id = $1",
                link.tenant_id,
                link.user_id,
            )
        if row is None or row["role"] != "OWNER":
            return _error(
                request, 403, ErrorCode.FORBIDDEN, "Only an OWNER of this tenant may download its export."
            )
        filename = f"{row['slug']}-{datetime.now(UTC):%Y%m%d}.iafactory.jsonl"
        return StreamingResponse(
            _stream(pool(), link, request.scope.get("request_id") or "export"),
            media_type="application/x-ndjson",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    return download


async def _stream(pool: asyncpg.Pool, link: ExportLink, request_id: str) -> AsyncIterator[bytes]:
    # One REPEATABLE READ transaction for the whole file: every table from one snapshot.
    # The audit row comes first, in the same transaction, so the file records its own export.
    async with pool.acquire() as connection, connection.transaction(isolation="repeatable_read"):
        await connection.execute("SET LOCAL ROLE iafactory_owner")
        await connection.execute(
            "INSERT INTO audit_log (tenant_id, actor_id, action, target_type, target_id, request_id, details)"
            " VALUES ($1, $2, 'export.download', 'Tenant', $5, $3, $4::text::jsonb)",
            link.tenant_id,
            link.user_id,
            request_id,
            '{"audio": true}' if link.audio else '{"audio": false}',
            str(link.tenant_id),
        )
        async for line in export_tenant(
            connection, link.tenant_id, audio=link.audio, password_hashes=False, actor=f"user:{link.user_id}"
        ):
            yield line
