"""`/api/projects`: the active tenant's projects, in the seed's snake_case shape."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from iafactory.errors import ErrorCode
from iafactory.rest.adapter import RestError, endpoint, graphql, json_body, text

FIELDS = "id name description createdAt updatedAt"
PAGE = f"""query Projects($first: Int!, $after: String) {{
  projects(first: $first, after: $after) {{ nodes {{ {FIELDS} }} pageInfo {{ endCursor hasNextPage }} }}
}}"""
SKIP = """query Skip($first: Int!, $after: String) {
  projects(first: $first, after: $after) { pageInfo { endCursor hasNextPage } }
}"""
GET = f"query Project($id: ID!) {{ project(id: $id) {{ {FIELDS} }} }}"
CREATE = f"mutation Create($input: CreateProjectInput!) {{ createProject(input: $input) {{ {FIELDS} }} }}"
UPDATE = f"""mutation Update($id: ID!, $input: UpdateProjectInput!) {{
  updateProject(id: $id, input: $input) {{ {FIELDS} }}
}}"""
DELETE = "mutation Delete($id: ID!) { deleteProject(id: $id) }"
DEFAULT_LIMIT = 20


def shaped(project: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": project["id"],
        "name": project["name"],
        "description": project["description"],
        "created_at": project["createdAt"],
        "updated_at": project["updatedAt"],
    }


def _count(request: Request, name: str, default: int, maximum: int | None) -> int:
    raw = request.query_params.get(name)
    try:
        value = default if raw is None else int(raw)
    except ValueError as error:
        raise RestError.invalid(f"`{name}` must be an integer.") from error
    if value < 0 or (maximum is not None and value > maximum):
        raise RestError.invalid(
            f"`{name}` must be between 0 and {maximum}." if maximum else f"`{name}` >= 0."
        )
    return value


@endpoint
async def list_projects(request: Request) -> Response:
    """Newest first, `?limit=&offset=`. The offset is walked through GraphQL's cursors in
    pages of the largest size (each page is one operation, billed and limited as such)."""
    largest = request.app.state.services.settings.max_page_size
    limit = _count(request, "limit", min(DEFAULT_LIMIT, largest), largest)
    offset = _count(request, "offset", 0, None)
    cursor: str | None = None
    while offset > 0:
        step = min(offset, largest)
        info = (await graphql(request, SKIP, {"first": step, "after": cursor}))["projects"]["pageInfo"]
        if not info["hasNextPage"]:
            return JSONResponse([])
        cursor, offset = info["endCursor"], offset - step
    page = (await graphql(request, PAGE, {"first": limit, "after": cursor}))["projects"]
    return JSONResponse([shaped(p) for p in page["nodes"]])


@endpoint
async def create_project(request: Request) -> Response:
    body = await json_body(request)
    fields = {"name": text(body, "name"), "description": text(body, "description", required=False)}
    created = (await graphql(request, CREATE, {"input": fields}))["createProject"]
    return JSONResponse(shaped(created), status_code=201)


@endpoint
async def get_project(request: Request) -> Response:
    found = (await graphql(request, GET, {"id": request.path_params["id"]}))["project"]
    if found is None:
        raise RestError(404, "Project not found.", ErrorCode.NOT_FOUND.value)
    return JSONResponse(shaped(found))


@endpoint
async def update_project(request: Request) -> Response:
    body = await json_body(request)
    fields = {key: text(body, key, required=False) for key in ("name", "description") if key in body}
    updated = await graphql(request, UPDATE, {"id": request.path_params["id"], "input": fields})
    return JSONResponse(shaped(updated["updateProject"]))


@endpoint
async def delete_project(request: Request) -> Response:
    await graphql(request, DELETE, {"id": request.path_params["id"]})
    return Response(status_code=204)
