"""Projects of the active tenant."""

from __future__ import annotations

import strawberry

from iafactory.db.queries import projects as project_queries
from iafactory.errors import NotFound
from iafactory.resolvers import validation
from iafactory.schema.context import Info
from iafactory.schema.pages import Page, PageRequest, page_of
from iafactory.schema.types.projects import CreateProjectInput, Project, UpdateProjectInput

MAX_DESCRIPTION = 10_000


async def projects(info: Info, first: int | None = 20, after: str | None = None) -> Page[Project]:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    request = PageRequest.of(first, after, maximum=ctx.settings.max_page_size)
    rows = await project_queries.page(ctx.db, tenant_id=tenant_id, first=request.first, after=request.after)

    async def count() -> int:
        return await project_queries.count(ctx.db, tenant_id=tenant_id)

    return page_of(rows, request.first, Project.from_record, count)


async def project(info: Info, id: strawberry.ID) -> Project | None:
    await info.context.tenant()
    row = await info.context.loaders.projects.load(validation.parse_id(id))
    return Project.from_record(row) if row is not None else None


async def create_project(info: Info, input: CreateProjectInput) -> Project:
    ctx = info.context
    principal, tenant_id = await ctx.tenant()
    row = await project_queries.create(
        ctx.db,
        tenant_id=tenant_id,
        name=validation.name(input.name, what="project name"),
        description=validation.optional_text(input.description, what="description", maximum=MAX_DESCRIPTION),
        created_by=principal.user_id,
    )  # and its audit entry, in the same statement
    return Project.from_record(row)


async def update_project(info: Info, id: strawberry.ID, input: UpdateProjectInput) -> Project:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    project_id = validation.parse_id(id)
    row = await project_queries.update(
        ctx.db,
        tenant_id=tenant_id,
        project_id=project_id,
        name=validation.name(input.name, what="project name") if isinstance(input.name, str) else None,
        description=validation.optional_text(
            input.description or None, what="description", maximum=MAX_DESCRIPTION
        ),
        set_description=input.description is not strawberry.UNSET,
    )
    if row is None:
        raise NotFound()
    return Project.from_record(row)


async def delete_project(info: Info, id: strawberry.ID) -> bool:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    project_id = validation.parse_id(id)
    if not await project_queries.delete(ctx.db, tenant_id=tenant_id, project_id=project_id):
        raise NotFound()
    return True
