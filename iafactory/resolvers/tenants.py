"""Super-admin tenant administration. Every statement here runs inside `elevated()`, the
only place the BYPASSRLS role is ever taken, and every change is audited in the tenant."""

from __future__ import annotations

import strawberry

from iafactory.db.queries import audit
from iafactory.db.queries import governance as governance_queries
from iafactory.db.queries import tenants as tenant_queries
from iafactory.errors import BadUserInput, NotFound
from iafactory.governance import billing
from iafactory.governance.portability import PortabilityError
from iafactory.resolvers import validation
from iafactory.resolvers.validation import parse_id
from iafactory.schema.context import Info
from iafactory.schema.pages import Page, PageRequest, known, page_of
from iafactory.schema.types.governance import MonthlyUsage
from iafactory.schema.types.identity import CreateTenantInput, Tenant, UpdateTenantInput


async def tenants(info: Info, first: int | None = 50, after: str | None = None) -> Page[Tenant]:
    ctx = info.context
    scope = await ctx.superadmin()
    request = PageRequest.of(first, after, maximum=ctx.settings.max_page_size, default=50)
    async with scope.elevated() as db:
        rows = await tenant_queries.page_all(db, first=request.first, after=request.after)
        # Counted in the elevated block: outside it, the app role sees one tenant at most.
        total = await tenant_queries.count_all(db)
        await audit.append_superadmin(db, action="list_tenants")
    return page_of(rows, request.first, Tenant.from_record, known(total))


async def create_tenant(info: Info, input: CreateTenantInput) -> Tenant:
    ctx = info.context
    scope = await ctx.superadmin()
    name = validation.name(input.name, what="tenant name")
    slug = validation.slug(input.slug)
    owner_email = validation.email(input.owner_email) if input.owner_email else None
    async with scope.elevated() as db:
        row = await tenant_queries.create_with_owner(
            db,
            name=name,
            slug=slug,
            region=validation.region(input.region),
            plan=(input.plan.value if input.plan else "FREE"),
            owner_email=owner_email,
        )
        await audit.append(
            db,
            tenant_id=row["id"],
            action="superadmin.create_tenant",
            target_type="Tenant",
            target_id=str(row["id"]),
        )
        await audit.append_superadmin(
            db, action="create_tenant", target_type="Tenant", target_id=str(row["id"])
        )
    return Tenant.from_record(row)


async def update_tenant(info: Info, id: strawberry.ID, input: UpdateTenantInput) -> Tenant:
    ctx = info.context
    scope = await ctx.superadmin()
    tenant_id = parse_id(id)
    name = validation.name(input.name, what="tenant name") if input.name is not None else None
    async with scope.elevated() as db:
        row = await tenant_queries.update(
            db,
            tenant_id=tenant_id,
            name=name,
            plan=input.plan.value if input.plan else None,
            status=input.status.value if input.status else None,
        )
        if row is None:
            raise NotFound()
        changes = {
            k: v
            for k, v in {
                "name": name,
                "plan": row["plan"] if input.plan else None,
                "status": row["status"] if input.status else None,
            }.items()
            if v
        }
        await audit.append(
            db,
            tenant_id=tenant_id,
            action="superadmin.update_tenant",
            target_type="Tenant",
            target_id=str(tenant_id),
            details=changes,
        )
        await audit.append_superadmin(
            db, action="update_tenant", target_type="Tenant", target_id=str(tenant_id), details=changes
        )
    return Tenant.from_record(row)


async def billing_usage(info: Info, month: str | None = None) -> list[MonthlyUsage]:
    """Every tenant's usage record for a month (default: the current UTC month)."""
    scope = await info.context.superadmin()
    try:
        period = billing.parse_month(month)
    except PortabilityError as error:
        raise BadUserInput(str(error)) from error
    async with scope.elevated() as db:
        rows = await governance_queries.records_for_month(db, period=period)
        await audit.append_superadmin(db, action="billing_usage", details={"month": str(period)})
    return [MonthlyUsage.from_record(row) for row in rows]
