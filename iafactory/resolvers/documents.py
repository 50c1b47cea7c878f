"""Documents of the active tenant's knowledge base."""

from __future__ import annotations

import strawberry

from iafactory.db.queries import audit
from iafactory.db.queries import documents as document_queries
from iafactory.errors import BadUserInput, NotFound
from iafactory.resolvers import validation
from iafactory.resolvers.context import OperationContext
from iafactory.resolvers.pagination import check_first, decode_position, paginate, parse_id
from iafactory.schema.types.knowledge import AddDocumentInput, Document, DocumentPage, SearchHit

Info = strawberry.Info[OperationContext]


async def documents(
    info: Info, project_id: strawberry.ID | None = None, first: int | None = 20, after: str | None = None
) -> DocumentPage:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    first = check_first(first, maximum=ctx.settings.max_page_size)
    project = parse_id(project_id, what="projectId") if project_id is not None else None
    rows = await document_queries.page(
        ctx.db, tenant_id=tenant_id, project_id=project, first=first, after=decode_position(after)
    )
    nodes, page_info = paginate(rows, first, Document.from_record)
    total = await document_queries.count(ctx.db, tenant_id=tenant_id, project_id=project)
    return DocumentPage(nodes=nodes, page_info=page_info, total_count=total)


async def document(info: Info, id: strawberry.ID) -> Document | None:
    await info.context.tenant()
    return await info.context.loaders.documents.load(parse_id(id))


async def add_document(info: Info, input: AddDocumentInput) -> Document:
    ctx = info.context
    principal, tenant_id = await ctx.tenant()
    content = input.content
    if not content.strip():
        raise BadUserInput("The content must not be empty.")
    if len(content.encode()) > ctx.settings.max_document_bytes:
        raise BadUserInput(f"A document is at most {ctx.settings.max_document_bytes} bytes.")
    project_id = parse_id(input.project_id, what="projectId") if input.project_id else None
    if project_id is not None and await ctx.loaders.projects.load(project_id) is None:
        raise NotFound("No such project.")
    row = await document_queries.create(
        ctx.db,
        tenant_id=tenant_id,
        project_id=project_id,
        title=validation.name(input.title, what="title", maximum=500),
        content=content,
        source="TEXT",
        created_by=principal.user_id,
    )
    await audit.append(ctx.db, tenant_id=tenant_id, action="add_document", target_type="Document",
                       target_id=str(row["id"]))
    return Document.from_record(row)


async def delete_document(info: Info, id: strawberry.ID) -> bool:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    document_id = parse_id(id)
    if not await document_queries.delete(ctx.db, tenant_id=tenant_id, document_id=document_id):
        raise NotFound()
    await audit.append(ctx.db, tenant_id=tenant_id, action="delete_document", target_type="Document",
                       target_id=str(document_id))
    return True


async def search_knowledge(
    info: Info, query: str, project_id: strawberry.ID | None = None, first: int | None = 10
) -> list[SearchHit]:
    raise NotImplementedError("searchKnowledge arrives with the knowledge-base issue")
