"""Super-admin tenant administration. Every statement here runs inside `elevated()`, the
only place the BYPASSRLS role is ever taken, and every change is audited in the tenant."""

from __future__ import annotations

import strawberry

from iafactory.db.queries import audit
from iafactory.db.queries import tenants as tenant_queries
from iafactory.errors import BadUserInput, Conflict, NotFound
from iafactory.governance import billing
from iafactory.governance.portability import PortabilityError
from iafactory.resolvers import validation
from iafactory.resolvers.context import OperationContext
from iafactory.resolvers.pagination import check_first, decode_position, paginate, parse_id
from iafactory.schema.types.governance import MonthlyUsage
from iafactory.schema.types.identity import CreateTenantInput, Tenant, TenantPage, UpdateTenantInput

Info = strawberry.Info[OperationContext]


async def tenants(info: Info, first: int | None = 50, after: str | None = None) -> TenantPage:
    ctx = info.context
    scope = await ctx.superadmin()
    first = check_first(first, maximum=ctx.settings.max_page_size, default=50)
    async with scope.elevated() as db:
        rows = await tenant_queries.page_all(db, first=first, after=decode_position(after))
        total = await tenant_queries.count_all(db)
        await audit.append_superadmin(db, action="list_tenants")
    nodes, page_info = paginate(rows, first, Tenant.from_record)
    return TenantPage(nodes=nodes, page_info=page_info, total_count=total)


async def create_tenant(info: Info, input: CreateTenantInput) -> Tenant:
    ctx = info.context
    scope = await ctx.superadmin()
    name = validation.name(input.name, what="tenant name")
    slug = validation.slug(input.slug)
    owner_email = validation.email(input.owner_email) if input.owner_email else None
    async with scope.elevated() as db:
        if await tenant_queries.slug_taken(db, slug=slug):
            raise Conflict("This tenant slug is taken.")
        row = await tenant_queries.create(
            db,
            name=name,
            slug=slug,
            region=validation.region(input.region),
            plan=(input.plan.value if input.plan else "FREE"),
        )
        if owner_email is not None:
            owner = await tenant_queries.user_id_by_email(db, email=owner_email)
            if owner is None:
                raise NotFound("No user with this email.")
            await tenant_queries.add_owner(db, tenant_id=row["id"], user_id=owner)
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
        rows = await billing.records_for_month(db, period=period)
        await audit.append_superadmin(db, action="billing_usage", details={"month": str(period)})
    return [MonthlyUsage.from_record(row) for row in rows]
