"""Plans, usage and the audit trail."""

from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID

import asyncpg
import strawberry

from iafactory.schema.context import Info
from iafactory.schema.pages import Page
from iafactory.schema.types.identity import Tenant, User


@strawberry.type
class PlanLimits:
    max_projects: int | None
    max_storage_bytes: float | None
    max_audio_seconds_per_month: float | None
    requests_per_minute: int


@strawberry.type
class TenantUsage:
    projects: int
    documents: int
    storage_bytes: float
    audio_seconds_this_month: float
    limits: PlanLimits


@strawberry.type(description="A link to download the active tenant's complete data (requestTenantExport).")
class TenantExport:
    url: str = strawberry.field(
        description="GET it, relative to the API's origin: the file streams as JSON lines."
    )
    expires_at: datetime
    include_audio: bool
    format_version: int


@strawberry.type
class AuditEntry:
    id: strawberry.ID
    at: datetime
    action: str
    target_type: str | None
    target_id: strawberry.ID | None
    request_id: str | None
    details: str | None = strawberry.field(
        description="What the action concerned, in words: for support.* entries, the reason given to"
        " enterTenantAsSupport. The actor of a support.* entry is the super-admin, visible to the"
        " tenant's owners."
    )
    actor_id: strawberry.Private[UUID | None]

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(row["id"])),
            at=row["at"],
            action=row["action"],
            target_type=row["target_type"],
            target_id=strawberry.ID(row["target_id"]) if row["target_id"] else None,
            request_id=row["request_id"],
            details=in_words(row["details"]),
            actor_id=row["actor_id"],
        )

    @strawberry.field
    async def actor(self, info: Info) -> User | None:
        return await User.load(info, self.actor_id)


def in_words(details: object) -> str | None:
    """An audit row's details for people: a support session's reason as given, anything else
    as `key: value` pairs.

    >>> in_words({"reason": "Ticket 42", "fields": ["projects"]})
    'Ticket 42'
    >>> in_words({"role": "ADMIN"})
    'role: ADMIN'
    """
    if isinstance(details, str):  # asyncpg hands jsonb over as text
        text = details
        try:
            details = json.loads(text)
        except ValueError:
            return text
    if not details:
        return None
    if isinstance(details, dict):
        reason = details.get("reason")
        if isinstance(reason, str):
            return reason
        return ", ".join(f"{key}: {value}" for key, value in details.items())
    return str(details)


@strawberry.type
class AuditPage(Page[AuditEntry]):
    """The contract's name for the audit log's page (a generic page would be `AuditEntryPage`)."""


@strawberry.type(description="One tenant's consumption in one month: what an invoice is made from.")
class MonthlyUsage:
    month: str = strawberry.field(description="YYYY-MM (UTC).")
    api_calls: int
    audio_seconds: float
    storage_peak_bytes: float
    # Read with the tenant row inside the super-admin scope: the app role sees one tenant.
    tenant: Tenant

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> MonthlyUsage:
        return cls(
            month=row["period"].strftime("%Y-%m"),
            api_calls=row["api_calls"],
            audio_seconds=row["audio_seconds"],
            storage_peak_bytes=row["storage_peak_bytes"],
            tenant=Tenant.from_record(row),
        )
