"""The data both servers read: N tenants x P projects x D documents, each tenant with an
OWNER and an access token, and an operator's quota override so that load is not a 429.

Rows are written in bulk as the owner role (as `iafactory tenant import` does: quota triggers
bind a tenant's own writes, not the operator's); the overrides go through the operator's
own command code (`iafactory tenant quota SLUG requests_per_minute=... max_projects=unlimited`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from iafactory.auth.principal import Role
from iafactory.auth.tokens import TokenService
from iafactory.governance import operations

ISSUER = "iafactory"
AUDIENCE = "iafactory-api"
# Far above what one process can serve, so the limiter never answers 429 (it still runs).
REQUESTS_PER_MINUTE = 100_000_000

# (statement, which of tenants / projects / documents it takes as $1...)
SEED: list[tuple[str, tuple[str, ...]]] = [
    (
        "INSERT INTO tenants (name, slug)"
        " SELECT 'Bench tenant ' || n, 'bench-' || n FROM generate_series(1, $1) n",
        ("tenants",),
    ),
    (
        "INSERT INTO users (email, full_name)"
        " SELECT 'owner-' || n || '@bench.test', 'Owner ' || n FROM generate_series(1, $1) n",
        ("tenants",),
    ),
    (
        "INSERT INTO tenant_memberships (tenant_id, user_id, role)"
        " SELECT t.id, u.id, 'OWNER' FROM tenants t"
        " JOIN users u ON u.email = 'owner-' || substr(t.slug, 7) || '@bench.test'",
        (),
    ),
    # Distinct creation times, so that "newest first" has one answer on both servers.
    (
        "INSERT INTO projects (tenant_id, name, created_by, created_at, updated_at)"
        " SELECT m.tenant_id, 'Project ' || p, m.user_id, t.at, t.at"
        " FROM tenant_memberships m, generate_series(1, $1) p,"
        " LATERAL (SELECT '2025-01-01'::timestamptz + p * interval '1 minute' AS at) t",
        ("projects",),
    ),
    (
        "INSERT INTO documents (tenant_id, project_id, title, content, created_by, created_at)"
        " SELECT p.tenant_id, p.id, 'Document ' || d || ' of ' || p.name,"
        " repeat('Les réseaux de neurones apprennent. ', 10), p.created_by,"
        " p.created_at + d * interval '1 second'"
        " FROM projects p, generate_series(1, $1) d",
        ("documents",),
    ),
]


@dataclass(frozen=True)
class Tenant:
    id: str
    slug: str
    name: str
    user_id: str
    email: str
    token: str


def seed(url: str, *, tenants: int, projects: int, documents: int, secret: str) -> list[Tenant]:
    """Seeds an empty migrated database; returns the tenants in slug order (bench-1, bench-2...)."""
    return asyncio.run(_seed(url, tenants, projects, documents, secret))


async def _seed(url: str, tenants: int, projects: int, documents: int, secret: str) -> list[Tenant]:
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL ROLE iafactory_owner")
            sizes = {"tenants": tenants, "projects": projects, "documents": documents}
            for statement, arguments in SEED:
                await connection.execute(statement, *(sizes[a] for a in arguments))
        rows = await connection.fetch(
            "SELECT t.id, t.slug, t.name, u.id AS user_id, u.email FROM tenants t"
            " JOIN tenant_memberships m ON m.tenant_id = t.id JOIN users u ON u.id = m.user_id"
            " WHERE t.slug LIKE 'bench-%' ORDER BY substr(t.slug, 7)::int"
        )
        for row in rows:
            await operations.quota(
                connection,
                row["slug"],
                [f"requests_per_minute={REQUESTS_PER_MINUTE}", "max_projects=unlimited"],
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    tokens = TokenService(secret=secret, issuer=ISSUER, audience=AUDIENCE, ttl=6 * 3600)
    return [
        Tenant(
            id=str(row["id"]),
            slug=row["slug"],
            name=row["name"],
            user_id=str(row["user_id"]),
            email=row["email"],
            token=tokens.issue(
                user_id=UUID(str(row["user_id"])), tenant_id=row["id"], role=Role.OWNER, superadmin=False
            ).token,
        )
        for row in rows
    ]
