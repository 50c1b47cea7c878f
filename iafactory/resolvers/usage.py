"""Usage against the plan, the audit trail, and OWNERs' export of their tenant's data."""

from __future__ import annotations

import strawberry

from iafactory.auth.principal import Role
from iafactory.db.queries import audit
from iafactory.errors import Forbidden
from iafactory.governance import portability
from iafactory.governance import usage as usage_queries
from iafactory.governance.runtime import governance_of
from iafactory.resolvers.context import OperationContext
from iafactory.resolvers.pagination import check_first, decode_int_position, encode_position
from iafactory.schema.types.common import PageInfo
from iafactory.schema.types.governance import AuditEntry, AuditPage, PlanLimits, TenantExport, TenantUsage

Info = strawberry.Info[OperationContext]


async def usage(info: Info) -> TenantUsage:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    found = await usage_queries.tenant_usage(ctx.db, tenant_id=tenant_id)
    return TenantUsage(
        projects=found.projects,
        documents=found.documents,
        storage_bytes=float(found.storage_bytes),
        audio_seconds_this_month=float(found.audio_seconds_this_month),
        limits=PlanLimits(
            max_projects=found.max_projects,
            max_storage_bytes=float(found.max_storage_bytes) if found.max_storage_bytes is not None else None,
            max_audio_seconds_per_month=found.max_audio_seconds_per_month,
            requests_per_minute=found.requests_per_minute,
        ),
    )


async def request_tenant_export(info: Info, include_audio: bool | None = False) -> TenantExport:
    ctx = info.context
    principal, tenant_id = await ctx.tenant()
    if principal.role is not Role.OWNER:
        raise Forbidden("Only an OWNER may export the tenant's data.")
    link = governance_of(ctx.services).export_links.issue(
        tenant_id=tenant_id, user_id=principal.user_id, audio=bool(include_audio)
    )
    await audit.append(
        ctx.db,
        tenant_id=tenant_id,
        action="request_export",
        target_type="Tenant",
        target_id=str(tenant_id),
        details={"includeAudio": bool(include_audio)},
    )
    return TenantExport(
        url=link.url,
        expires_at=link.expires_at,
        include_audio=link.audio,
        format_version=portability.VERSION,
    )


async def audit_log(info: Info, first: int | None = 50, after: str | None = None) -> AuditPage:
    ctx = info.context
    _, tenant_id = await ctx.manager()
    first = check_first(first, maximum=ctx.settings.max_page_size, default=50)
    rows = await audit.page(ctx.db, tenant_id=tenant_id, first=first, after=decode_int_position(after))
    shown = rows[:first]
    nodes = [
        AuditEntry(
            id=strawberry.ID(str(row["id"])),
            at=row["at"],
            action=row["action"],
            target_type=row["target_type"],
            target_id=strawberry.ID(row["target_id"]) if row["target_id"] else None,
            request_id=row["request_id"],
            actor_id=row["actor_id"],
        )
        for row in shown
    ]
    end = shown[-1] if shown else None
    return AuditPage(
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            end_cursor=encode_position(end["at"], end["id"]) if end is not None else None,
        ),
    )
