"""Documents of the active tenant's knowledge base, and search over them."""

from __future__ import annotations

from uuid import UUID

import strawberry

from iafactory.db.queries import audit
from iafactory.db.queries import documents as document_queries
from iafactory.db.queries import search as search_queries
from iafactory.errors import BadUserInput, NotFound
from iafactory.knowledge import query as search_query
from iafactory.knowledge import snippets
from iafactory.knowledge.language import normalise
from iafactory.knowledge.runtime import SemanticUnavailable
from iafactory.resolvers import validation
from iafactory.resolvers.validation import parse_id
from iafactory.schema.context import Info
from iafactory.schema.pages import Page, PageRequest, check_first, page_of
from iafactory.schema.types.knowledge import AddDocumentInput, Document, SearchHit, SearchMode

MAX_TITLE = 500


async def documents(
    info: Info, project_id: strawberry.ID | None = None, first: int | None = 20, after: str | None = None
) -> Page[Document]:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    request = PageRequest.of(first, after, maximum=ctx.settings.max_page_size)
    project = parse_id(project_id, what="projectId") if project_id is not None else None
    rows = await document_queries.page(
        ctx.db, tenant_id=tenant_id, project_id=project, first=request.first, after=request.after
    )
    for row in rows:
        ctx.loaders.documents.prime(row["id"], row)

    async def count() -> int:
        return await document_queries.count(ctx.db, tenant_id=tenant_id, project_id=project)

    return page_of(rows, request.first, Document.from_record, count)


async def document(info: Info, id: strawberry.ID) -> Document | None:
    await info.context.tenant()
    row = await info.context.loaders.documents.load(parse_id(id))
    return Document.from_record(row) if row is not None else None


def _checked_text(value: str, *, what: str) -> str:
    if "\x00" in value:
        raise BadUserInput(f"The {what} must not contain NUL characters.")
    return value


async def add_document(info: Info, input: AddDocumentInput) -> Document:
    ctx = info.context
    principal, tenant_id = await ctx.tenant()
    title = validation.name(_checked_text(input.title, what="title"), what="title", maximum=MAX_TITLE)
    content = _checked_text(input.content, what="content")
    if not content.strip():
        raise BadUserInput("The content must not be empty.")
    # The same measure as documents.size_bytes, which counts toward the tenant's storage.
    size = len(title.encode()) + len(content.encode())
    if size > ctx.settings.max_document_bytes:
        raise BadUserInput(
            f"A document is at most {ctx.settings.max_document_bytes} bytes (this one is {size}).",
            maxBytes=ctx.settings.max_document_bytes,
        )
    language = _language(input.language)
    project_id = parse_id(input.project_id, what="projectId") if input.project_id else None
    if project_id is not None and await ctx.loaders.projects.load(project_id) is None:
        raise NotFound("No such project.")
    row = await document_queries.create(
        ctx.db,
        tenant_id=tenant_id,
        project_id=project_id,
        title=title,
        content=content,
        source="TEXT",
        created_by=principal.user_id,
        language=language,
    )
    await audit.append(
        ctx.db, tenant_id=tenant_id, action="add_document", target_type="Document", target_id=str(row["id"])
    )
    return Document.from_record(row)


def _language(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalise(value)
    except ValueError as error:
        raise BadUserInput("`language` must be an ISO 639 code such as fr or en.") from error


async def delete_document(info: Info, id: strawberry.ID) -> bool:
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    document_id = parse_id(id)
    if not await document_queries.delete(ctx.db, tenant_id=tenant_id, document_id=document_id):
        raise NotFound()
    await audit.append(
        ctx.db,
        tenant_id=tenant_id,
        action="delete_document",
        target_type="Document",
        target_id=str(document_id),
    )
    return True


async def search_knowledge(
    info: Info,
    query: str,
    project_id: strawberry.ID | None = None,
    first: int | None = 10,
    mode: SearchMode | None = SearchMode.HYBRID,
) -> list[SearchHit]:
    """Best first. Runs in the caller's tenant transaction: row-level security confines every
    table it reads to the caller's tenant, whatever the query says. HYBRID is lexical where
    semantic search is off; SEMANTIC is then BAD_USER_INPUT."""
    ctx = info.context
    _, tenant_id = await ctx.tenant()
    first = check_first(first, maximum=ctx.settings.max_page_size, default=10)
    try:
        terms = search_query.parse(query)
    except ValueError as error:
        raise BadUserInput(str(error)) from error
    project: UUID | None = parse_id(project_id, what="projectId") if project_id is not None else None
    try:
        meaning = await ctx.services.semantic.meaning(query, mode=(mode or SearchMode.HYBRID).value)
    except SemanticUnavailable as error:
        raise BadUserInput(str(error)) from error
    rows = await search_queries.search(
        ctx.db,
        tenant_id=tenant_id,
        words=terms.words,
        fuzzy=terms.fuzzy,
        project_id=project,
        first=first,
        meaning=meaning,
    )
    hits = []
    for row in rows:
        ctx.loaders.documents.prime(row["id"], row)
        hits.append(
            SearchHit(
                document=Document.from_record(row),
                score=round(float(row["score"]), 6),
                snippet=snippets.render(row["snippet"], fallback=row["passage"]),
            )
        )
    return hits
