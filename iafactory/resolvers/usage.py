"""Usage against the plan, the audit trail, and OWNERs' export of their tenant's data."""

from __future__ import annotations

from iafactory.auth.principal import Role
from iafactory.db.queries import audit
from iafactory.db.queries import governance as governance_queries
from iafactory.errors import Forbidden
from iafactory.governance import portability
from iafactory.schema.context import Info
from iafactory.schema.pages import check_first, decode_int_position, page_of
from iafactory.schema.types.governance import AuditEntry, AuditPage, PlanLimits, TenantExport, TenantUsage


async def usage(info: Info) -> TenantUsage:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    found = await governance_queries.tenant_usage(ctx.db, tenant_id=tenant_id)
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
    link = ctx.services.export_links.issue(
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

    async def count() -> int:
        return await audit.count(ctx.db, tenant_id=tenant_id)

    page = page_of(rows, first, AuditEntry.from_record, count, position=lambda row: (row["at"], row["id"]))
    return AuditPage(nodes=page.nodes, page_info=page.page_info, count=page.count)
