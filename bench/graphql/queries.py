"""The compared operations: ours and PostGraphile v5's, each with the check that a response is
the tenant's own, correct answer (computed from the database, not from either server).

Bodies are per tenant (v5 has no notion of "the caller", so its `me` and `createProject` name
the tenant and user in variables); query texts are constant, as a client would send them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from bench.graphql.seed import Tenant

NESTED = "{ projects(first: 20) { nodes { id name documents(first: 5) { nodes { id title } } } } }"
V5_NESTED = (
    "{ allProjects(first: 20, orderBy: CREATED_AT_DESC) { nodes { id name"
    " documentsByTenantIdAndProjectId(first: 5, orderBy: CREATED_AT_DESC) { nodes { id title } } } } }"
)
THREE_LEVEL = (
    "{ projects(first: 20) { nodes { id name"
    " documents(first: 5) { nodes { id title project { id name } } } } } }"
)
V5_THREE_LEVEL = (
    "{ allProjects(first: 20, orderBy: CREATED_AT_DESC) { nodes { id name"
    " documentsByTenantIdAndProjectId(first: 5, orderBy: CREATED_AT_DESC) { nodes { id title"
    " projectByTenantIdAndProjectId { id name } } } } } }"
)
ME = "{ me { user { id email } tenant { id name } role } }"
V5_ME = (
    "query Me($user: UUID!, $tenant: UUID!) { userById(id: $user) { id email }"
    " tenantById(id: $tenant) { id name }"
    " tenantMembershipByTenantIdAndUserId(tenantId: $tenant, userId: $user) { role } }"
)
CREATE = 'mutation { createProject(input: {name: "bench"}) { id name } }'
V5_CREATE = (
    "mutation Create($tenant: UUID!) {"
    ' createProject(input: {project: {tenantId: $tenant, name: "bench"}}) { project { id name } } }'
)

# v5's relation names, mapped to ours, so that both answers compare as one shape.
V5_NAMES = {
    "allProjects": "projects",
    "documentsByTenantIdAndProjectId": "documents",
    "projectByTenantIdAndProjectId": "project",
}

PAGE_SQL = """
SELECT json_agg(json_build_object('id', p.id, 'name', p.name, 'documents', json_build_object('nodes',
         (SELECT coalesce(json_agg(json_build_object('id', d.id, 'title', d.title)
                                   ORDER BY d.created_at DESC, d.id DESC), '[]')
            FROM (SELECT * FROM documents d WHERE d.tenant_id = p.tenant_id AND d.project_id = p.id
                  ORDER BY d.created_at DESC, d.id DESC LIMIT 5) d)))
       ORDER BY p.created_at DESC, p.id DESC)
  FROM (SELECT * FROM projects WHERE tenant_id = %s ORDER BY created_at DESC, id DESC LIMIT 20) p
"""

Body = dict[str, Any]
Check = Callable[[Any, Tenant, psycopg.Connection], str | None]


@dataclass(frozen=True)
class Compared:
    """One operation on both servers; `check(data, tenant, sql)` returns what is wrong, or None."""

    name: str
    ours: Callable[[Tenant], Body]
    v5: Callable[[Tenant], Body]
    ours_view: Callable[[Any], Any]
    v5_view: Callable[[Any], Any]
    check: Check
    mutation: bool = False


def renamed(value: Any, names: dict[str, str] = V5_NAMES) -> Any:
    if isinstance(value, dict):
        return {names.get(k, k): renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [renamed(v, names) for v in value]
    return value


def expected_page(sql: psycopg.Connection, tenant: Tenant) -> Any:
    row = sql.execute(PAGE_SQL, (tenant.id,)).fetchone()
    return {"projects": {"nodes": (row[0] if row else None) or []}}


def check_page(data: Any, tenant: Tenant, sql: psycopg.Connection) -> str | None:
    return None if data == expected_page(sql, tenant) else "not the tenant's 20 newest projects x 5 documents"


def check_three_level(data: Any, tenant: Tenant, sql: psycopg.Connection) -> str | None:
    data = copy.deepcopy(data)
    for project in data["projects"]["nodes"]:
        for document in project["documents"]["nodes"]:
            if document.pop("project") != {"id": project["id"], "name": project["name"]}:
                return "a document's project is not its parent"
    return check_page(data, tenant, sql)


def check_me(data: Any, tenant: Tenant, sql: psycopg.Connection) -> str | None:
    expected = {
        "user": {"id": tenant.user_id, "email": tenant.email},
        "tenant": {"id": tenant.id, "name": tenant.name},
        "role": "OWNER",
    }
    return None if data == expected else f"expected {expected}"


def check_created(data: Any, tenant: Tenant, sql: psycopg.Connection) -> str | None:
    row = sql.execute("SELECT tenant_id::text, name FROM projects WHERE id = %s", (data["id"],)).fetchone()
    return None if row == (tenant.id, "bench") == (tenant.id, data["name"]) else f"stored as {row}"


def _body(query: str, variables: dict[str, str] | None = None) -> Body:
    return {"query": query, "variables": variables or {}}


COMPARED = [
    Compared(
        "nested",
        ours=lambda t: _body(NESTED),
        v5=lambda t: _body(V5_NESTED),
        ours_view=lambda d: d,
        v5_view=renamed,
        check=check_page,
    ),
    Compared(
        "me",
        ours=lambda t: _body(ME),
        v5=lambda t: _body(V5_ME, {"user": t.user_id, "tenant": t.id}),
        ours_view=lambda d: d["me"],
        v5_view=lambda d: {
            "user": d["userById"],
            "tenant": d["tenantById"],
            "role": d["tenantMembershipByTenantIdAndUserId"]["role"],
        },
        check=check_me,
    ),
    Compared(
        "three-level",
        ours=lambda t: _body(THREE_LEVEL),
        v5=lambda t: _body(V5_THREE_LEVEL),
        ours_view=lambda d: d,
        v5_view=renamed,
        check=check_three_level,
    ),
    Compared(
        "createProject",
        ours=lambda t: _body(CREATE),
        v5=lambda t: _body(V5_CREATE, {"tenant": t.id}),
        ours_view=lambda d: d["createProject"],
        v5_view=lambda d: d["createProject"]["project"],
        check=check_created,
        mutation=True,
    ),
]
