"""The governance objects of one server process, built once by create_app and shared by the
middleware, the resolvers and the /metrics and /exports routes.

>>> governance = governance_of(info.context.services)
>>> await governance.rate_limits.check_login(client_ip, email)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iafactory.governance.exports import ExportLinks
from iafactory.governance.metrics import Metrics
from iafactory.governance.ratelimit import RateLimits
from iafactory.governance.usage import ApiCallCounter

if TYPE_CHECKING:
    from iafactory.resolvers.context import Services

KEY = "governance"


class Governance:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.rate_limits = RateLimits(settings, pool=lambda: services.pool)
        self.metrics = Metrics(settings)
        self.api_calls = ApiCallCounter(lambda: services.pool, interval=settings.usage_flush_seconds)
        self.export_links = ExportLinks(settings)

    def start(self) -> None:
        """In the app's lifespan, once the pool exists."""
        self.api_calls.start()

    async def stop(self) -> None:
        """Before the pool closes: the last API-call counts are written."""
        await self.api_calls.stop()


def governance_of(services: Services) -> Governance:
    """The process's Governance (created on first use where no app built one, e.g. a test)."""
    existing = services.extras.get(KEY)
    if isinstance(existing, Governance):
        return existing
    created = Governance(services)
    services.extras[KEY] = created
    return created
