"""Usage against the plan, and the audit trail (the governance issue completes these)."""

from __future__ import annotations

import strawberry

from iafactory.db.queries import audit
from iafactory.resolvers.context import OperationContext
from iafactory.resolvers.pagination import check_first, decode_int_position, encode_position
from iafactory.schema.types.common import PageInfo
from iafactory.schema.types.governance import AuditEntry, AuditPage, TenantUsage

Info = strawberry.Info[OperationContext]


async def usage(info: Info) -> TenantUsage:
    raise NotImplementedError


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
