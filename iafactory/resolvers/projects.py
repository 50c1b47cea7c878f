"""Projects of the active tenant."""

from __future__ import annotations

import strawberry

from iafactory.db.queries import audit
from iafactory.db.queries import projects as project_queries
from iafactory.errors import NotFound
from iafactory.resolvers import validation
from iafactory.resolvers.context import OperationContext
from iafactory.resolvers.pagination import check_first, decode_position, paginate, parse_id
from iafactory.schema.types.projects import (
    CreateProjectInput,
    Project,
    ProjectPage,
    UpdateProjectInput,
)

Info = strawberry.Info[OperationContext]
MAX_DESCRIPTION = 10_000


async def projects(info: Info, first: int | None = 20, after: str | None = None) -> ProjectPage:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    first = check_first(first, maximum=ctx.settings.max_page_size)
    rows = await project_queries.page(
        ctx.db, tenant_id=tenant_id, first=first, after=decode_position(after)
    )
    nodes, page_info = paginate(rows, first, Project.from_record)
    return ProjectPage(nodes=nodes, page_info=page_info, tenant_id=tenant_id)


async def project(info: Info, id: strawberry.ID) -> Project | None:
    await info.context.tenant()
    found: Project | None = await info.context.loaders.projects.load(parse_id(id))
    return found


async def create_project(info: Info, input: CreateProjectInput) -> Project:
    ctx = info.context
    principal, tenant_id = await ctx.tenant()
    row = await project_queries.create(
        ctx.db,
        tenant_id=tenant_id,
        name=validation.name(input.name, what="project name"),
        description=validation.optional_text(input.description, what="description", maximum=MAX_DESCRIPTION),
        created_by=principal.user_id,
    )
    await audit.append(ctx.db, tenant_id=tenant_id, action="create_project", target_type="Project",
                       target_id=str(row["id"]))
    return Project.from_record(row)


async def update_project(info: Info, id: strawberry.ID, input: UpdateProjectInput) -> Project:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    project_id = parse_id(id)
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
    await audit.append(ctx.db, tenant_id=tenant_id, action="update_project", target_type="Project",
                       target_id=str(project_id))
    return Project.from_record(row)


async def delete_project(info: Info, id: strawberry.ID) -> bool:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    project_id = parse_id(id)
    if not await project_queries.delete(ctx.db, tenant_id=tenant_id, project_id=project_id):
        raise NotFound()
    await audit.append(ctx.db, tenant_id=tenant_id, action="delete_project", target_type="Project",
                       target_id=str(project_id))
    return True
