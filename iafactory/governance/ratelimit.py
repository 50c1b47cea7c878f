"""Request budgets, kept by the `limits` library: in this process's memory by default, in Redis
when REDIS_URL is set (then every replica spends the same budget).

Two kinds:
- per tenant, `requests_per_minute` of its plan (or of the operator's override), read from
  the database and cached per process for `IAFACTORY_PLAN_CACHE_SECONDS`;
- per client address on sign-in: login per address (`IAFACTORY_LOGIN_IP_RATE_LIMIT`, all
  emails together: password spraying) and per address and email (`IAFACTORY_LOGIN_RATE_LIMIT`,
  the email as the database normalises it, hashed: a key never holds what a client sent, and
  its size is fixed), refresh per address, register per address
  (`IAFACTORY_REGISTER_RATE_LIMIT`).

Sliding-window counters: O(1) memory per key (a moving window keeps one entry per request),
and no burst of twice the limit across a window boundary (as a fixed window allows).

If Redis cannot be reached the request is let through and the failure logged: an outage of
the limiter should not become an outage of the API.

>>> limits = RateLimits(Settings())
>>> await limits.tenant(db, tenant_id)   # None, or the seconds to wait
"""

from __future__ import annotations

import hashlib
import math
import time
from uuid import UUID

import asyncpg
import structlog
from limits import RateLimitItem, RateLimitItemPerMinute, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from iafactory.db.database import Database
from iafactory.db.queries import governance as governance_queries
from iafactory.errors import RateLimited
from iafactory.settings import Settings

log = structlog.get_logger("iafactory.ratelimit")


def storage_uri(redis_url: str | None) -> str:
    """`async+memory://`, or the Redis URL in the form `limits` wants for asyncio."""
    if not redis_url:
        return "async+memory://"
    return redis_url if redis_url.startswith("async+") else f"async+{redis_url}"


class PlanCache:
    """Each tenant's requests per minute, asked of the database at most once per `ttl` per
    process. A plan change or an operator's override takes effect within `ttl` seconds."""

    def __init__(self, *, ttl: float) -> None:
        self._ttl = ttl
        self._entries: dict[UUID, tuple[float, int]] = {}

    async def requests_per_minute(self, db: Database, tenant_id: UUID) -> int:
        """`db`: the operation's own transaction. Borrowing a second pooled connection while
        holding one could deadlock a small pool under load."""
        now = time.monotonic()
        cached = self._entries.get(tenant_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        value = await governance_queries.requests_per_minute(db, tenant_id=tenant_id)
        if len(self._entries) > 100_000:  # a bound on memory, not a policy
            self._entries.clear()
        self._entries[tenant_id] = (now + self._ttl, value)
        return value

    def cached(self, tenant_id: UUID) -> int | None:
        """The tenant's requests per minute if known and fresh, without asking the database."""
        cached = self._entries.get(tenant_id)
        return cached[1] if cached is not None and cached[0] > time.monotonic() else None


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        options: dict[str, str] = {}
        if settings.redis_url:
            # redis-py (a direct dependency) rather than the library's default client.
            options = {"implementation": "redispy", "key_prefix": settings.rate_limit_prefix}
        self.backend = "redis" if settings.redis_url else "memory"
        self._limiter = SlidingWindowCounterRateLimiter(
            storage_from_string(storage_uri(settings.redis_url), **options)
        )
        self._namespace = settings.rate_limit_prefix
        self._login = self._item(settings.login_rate_limit)
        self._login_address = self._item(settings.login_ip_rate_limit)
        self._register = self._item(settings.register_rate_limit)
        self.plans = PlanCache(ttl=settings.plan_cache_seconds)
        # One item per distinct rate (a handful of plans and overrides); its key names the tenant.
        self._per_minute: dict[int, RateLimitItem] = {}
        # Tenants refused a request, until their wait is over (monotonic clock).
        self._refused: dict[UUID, float] = {}

    def _item(self, rate: str) -> RateLimitItem:
        parsed = parse(rate)
        return type(parsed)(parsed.amount, parsed.multiples, namespace=self._namespace)

    async def tenant(self, db: Database, tenant_id: UUID) -> int | None:
        """Spend one request of the tenant's budget: None if allowed, else the seconds to wait."""
        try:
            per_minute = await self.plans.requests_per_minute(db, tenant_id)
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("plan limits unavailable; request allowed", error=str(error))
            return None
        return await self._spend_tenant(tenant_id, per_minute)

    def may_spend_after(self, tenant_id: UUID) -> bool:
        """Whether a read may run first and spend afterwards (`spend_after`): the tenant's rate
        is cached and no request of it was refused within its wait. A tenant at its limit
        thus costs at most one read per wait that is then refused, not one per request."""
        refused_until = self._refused.get(tenant_id)
        if refused_until is not None and refused_until > time.monotonic():
            return False
        return self.plans.cached(tenant_id) is not None

    async def spend_after(self, tenant_id: UUID) -> int | None:
        """`tenant`'s answer, for a read that ran after `may_spend_after`: None if allowed."""
        per_minute = self.plans.cached(tenant_id)
        if per_minute is None:
            return 1  # expired in between: the caller takes the path that asks the database
        return await self._spend_tenant(tenant_id, per_minute)

    async def _spend_tenant(self, tenant_id: UUID, per_minute: int) -> int | None:
        item = self._per_minute.get(per_minute)
        if item is None:
            item = RateLimitItemPerMinute(per_minute, namespace=self._namespace)
            self._per_minute[per_minute] = item
        retry_after = await self._spend(item, "tenant", str(tenant_id))
        if retry_after is not None:
            if len(self._refused) > 100_000:  # a bound on memory, not a policy
                self._refused.clear()
            self._refused[tenant_id] = time.monotonic() + retry_after
        return retry_after

    async def check_login_address(self, client: str) -> None:
        """RATE_LIMITED after too many sign-in attempts from one address, whatever the emails."""
        await self._raise_if_spent(self._login_address, "login-address", client)

    async def check_login(self, client: str, normalized_email: str) -> None:
        """RATE_LIMITED after too many sign-in attempts for one email from one address.
        `normalized_email`: as app.normalize_email returned it (`alİce@` and `alice@` are one
        account there, so they are one counter here)."""
        digest = hashlib.sha256(normalized_email.encode()).hexdigest()[:32]
        await self._raise_if_spent(self._login, "login", client, digest)

    async def check_refresh(self, client: str) -> None:
        # A refresh token is 256 random bits and cannot be guessed; this caps the work one
        # address can cause (each attempt is a database round trip), shared by its users.
        await self._raise_if_spent(self._login, "refresh", client)

    async def check_register(self, client: str) -> None:
        await self._raise_if_spent(self._register, "register", client)

    async def _raise_if_spent(self, item: RateLimitItem, *identifiers: str) -> None:
        retry_after = await self._spend(item, *identifiers)
        if retry_after is not None:
            raise RateLimited(retry_after, f"Too many attempts; try again in {retry_after} s.")

    async def _spend(self, item: RateLimitItem, *identifiers: str) -> int | None:
        try:
            if await self._limiter.hit(item, *identifiers):
                return None
            stats = await self._limiter.get_window_stats(item, *identifiers)
        except Exception as error:  # noqa: BLE001 - fail open: a limiter outage must not stop the API
            log.error("rate limiter unavailable; request allowed", backend=self.backend, error=str(error))
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))
