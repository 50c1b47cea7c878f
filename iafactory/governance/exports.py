"""OWNERs' self-service export: `requestTenantExport` signs a short-lived link, and
GET /exports/{token} streams the tenant's export file (export_format.md), spooled first.

The link is a JWS (HS256, the server's signing key) whose audience is not the API's, so it
can never be used as an access token, nor an access token as a link. It names the tenant
and the user; at download time the database must still say that user is an OWNER of that
tenant, and a request that also carries an access token must carry one of the same tenant.
Links are short-lived (IAFACTORY_EXPORT_LINK_TTL), not single-use: treat one like the file.
The download is audited in the tenant (`export.download`) and never carries password hashes.
It is read as the app role bound to the link's tenant: row-level security confines it.

Downloads are bounded (DownloadSlots): one per tenant at a time, from the first row read to
the last byte sent, a few in the process, two exports written at once, and each must end
within the link's lifetime, so clients that open links and never read can neither fill the
disk nor hold a pooled connection (none is held while streaming at all).
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import asyncpg
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from iafactory.auth.tokens import TokenService
from iafactory.db.database import Transaction
from iafactory.db.queries import governance as governance_queries
from iafactory.db.scope import DbRole, Isolation, transaction
from iafactory.errors import AppError, Forbidden, NotFound, RateLimited, Unauthenticated
from iafactory.governance.portability import export_tenant
from iafactory.settings import Settings

ALGORITHM = "HS256"
PATH = "/exports/{token}"
CHUNK_BYTES = 64 * 1024


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
        self.ttl = settings.export_link_ttl
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
            "exp": now + self.ttl,
            "jti": str(uuid.uuid4()),
        }
        token = jwt.encode({"alg": ALGORITHM}, claims, self._key(), algorithms=[ALGORITHM])
        return ExportLink(token, tenant_id, user_id, audio, datetime.fromtimestamp(now + self.ttl, UTC))

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


class DownloadSlots:
    """Who may download now: one download per tenant, `in_flight` in the process (each until
    its last byte), `writing` exports spooled at once. A refusal is RATE_LIMITED."""

    def __init__(self, *, in_flight: int = 8, writing: int = 2) -> None:
        self._tenants: set[uuid.UUID] = set()
        self._in_flight = in_flight
        self.writing = asyncio.Semaphore(writing)

    def take(self, tenant_id: uuid.UUID) -> Callable[[], None]:
        """A slot for the tenant, and the function that gives it back."""
        if tenant_id in self._tenants:
            raise RateLimited(10, "An export of this tenant is already downloading; retry once it ends.")
        if len(self._tenants) >= self._in_flight:
            raise RateLimited(10, "Too many exports are downloading; retry in a few seconds.")
        self._tenants.add(tenant_id)
        return lambda: self._tenants.discard(tenant_id)


class SpooledDownload(StreamingResponse):
    """Streams the spooled file; whatever happens (finished, client gone, too slow), the file
    is closed and the slot given back."""

    def __init__(self, file: IO[bytes], *, release: Callable[[], None], within: float, **kwargs: Any) -> None:
        super().__init__(_read(file), **kwargs)
        self._file = file
        self._release = release
        self._within = within

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with asyncio.timeout(self._within):
                await super().__call__(scope, receive, send)
        except TimeoutError:
            pass  # the client stopped reading: the connection closes unfinished
        finally:
            self._file.close()
            self._release()


def download_endpoint(
    links: ExportLinks, tokens: TokenService, pool: Callable[[], asyncpg.Pool]
) -> Callable[[Request], Any]:
    """The Starlette endpoint for GET /exports/{token}; `pool` returns the asyncpg pool."""
    slots = DownloadSlots()

    async def download(request: Request) -> Response:
        request_id = request.scope.get("request_id")
        link = links.verify(request.path_params["token"])
        if link is None:
            return _error(Unauthenticated("This download link is invalid or has expired."), request_id)
        try:
            principal = tokens.principal(request.headers.get("authorization"))
        except AppError:
            principal = None  # the link is the credential; a stale access token changes nothing
        if principal is not None and principal.tenant_id != link.tenant_id:
            return _error(NotFound(), request_id)
        try:
            release = slots.take(link.tenant_id)
        except RateLimited as error:
            return _error(error, request_id)
        try:
            async with slots.writing:
                spool = await _spool(pool(), link, request_id or "export")
        except BaseException:
            release()
            raise
        if spool is None:
            release()
            return _error(Forbidden("Only an OWNER of this tenant may download its export."), request_id)
        slug, file = spool
        filename = f"{slug}-{datetime.now(UTC):%Y%m%d}.iafactory.jsonl"
        return SpooledDownload(
            file,
            release=release,
            within=float(links.ttl),
            media_type="application/x-ndjson",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    return download


def _error(error: AppError, request_id: str | None) -> JSONResponse:
    return JSONResponse(error.body(request_id), status_code=error.status(), headers=error.headers())


async def _spool(pool: asyncpg.Pool, link: ExportLink, request_id: str) -> tuple[str, IO[bytes]] | None:
    """The whole export written to a temporary file, or None when the link's user is no
    longer an OWNER. No pooled transaction ever waits on a client: the file is read from one
    REPEATABLE READ snapshot first, and only then streamed to the client, as slowly as it
    likes within the link's lifetime.

    The audit row is committed first, in a short transaction of its own: writing it takes the
    tenant's write lock (0012_tenant_write_lock), which the long read must not hold. The
    snapshot, taken after, includes it, so the file records its own export."""
    async with _as_link_user(pool, link, request_id, writes=True) as db:
        owner = await governance_queries.export_owner_slug(db, tenant_id=link.tenant_id, user_id=link.user_id)
        if owner is None:
            return None
        await governance_queries.export_download_audit(
            db, tenant_id=link.tenant_id, user_id=link.user_id, audio=link.audio
        )
    file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by SpooledDownload once streamed
    try:
        async with _as_link_user(pool, link, request_id, isolation=Isolation.REPEATABLE_READ) as db:
            slug = await governance_queries.export_owner_slug(
                db, tenant_id=link.tenant_id, user_id=link.user_id
            )
            if slug is None:  # no longer an owner since the audit row was written
                file.close()
                return None
            async for line in export_tenant(
                db.raw, link.tenant_id, audio=link.audio, password_hashes=False, actor=f"user:{link.user_id}"
            ):
                await asyncio.to_thread(file.write, line)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return slug, file


def _as_link_user(
    pool: asyncpg.Pool,
    link: ExportLink,
    request_id: str,
    *,
    writes: bool = False,
    isolation: Isolation = Isolation.READ_COMMITTED,
) -> AbstractAsyncContextManager[Transaction]:
    """A transaction as the user who asked for the link, in its tenant."""
    return transaction(
        pool,
        role=DbRole.APP,
        tenant_id=link.tenant_id,
        user_id=link.user_id,
        request_id=request_id,
        isolation=isolation,
        writes=writes,
    )


async def _read(file: IO[bytes]) -> AsyncIterator[bytes]:
    while chunk := await asyncio.to_thread(file.read, CHUNK_BYTES):
        yield chunk
