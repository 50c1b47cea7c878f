"""Operator actions on whole tenants (`iafactory tenant export|import|delete|quota`).

Each runs in one transaction as the owner role, on a connection of the login role of
DATABASE_URL (which the migrations granted the owner role). The export is audited in the
tenant itself; import and erasure in `operator_actions` (an erasure must outlive the tenant).
"""

from __future__ import annotations

import getpass
import json
import socket
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from uuid import UUID

import asyncpg

from iafactory.db.database import Database
from iafactory.db.queries import embeddings
from iafactory.db.queries import governance as governance_queries
from iafactory.db.queries.governance import QUOTAS as QUOTAS  # the CLI lists them
from iafactory.db.scope import DbRole, Isolation, transaction
from iafactory.governance.erasure import erase_tenant
from iafactory.governance.portability import PortabilityError, export_tenant, tenant_digest
from iafactory.governance.tenant_import import ImportReport, import_tenant


def operator() -> str:
    """Who runs the command, for the audit trail: `cli:user@host`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}@{socket.gethostname()}"[:200]


async def find_tenant(db: Database, slug: str) -> UUID:
    tenant_id = await governance_queries.tenant_id_by_slug(db, slug=slug)
    if tenant_id is None:
        raise PortabilityError(f"no tenant with slug {slug!r}")
    return tenant_id


async def export_to(
    connection: asyncpg.Connection, slug: str, out: IO[bytes], *, audio: bool, password_hashes: bool
) -> dict[str, int]:
    """Writes the export of tenant `slug` to `out`; returns the rows per table."""
    actor = operator()
    async with transaction(
        connection, role=DbRole.OWNER, request_id="cli", isolation=Isolation.REPEATABLE_READ
    ) as db:
        tenant_id = await find_tenant(db, slug)
        await governance_queries.operator_audit(
            db,
            tenant_id=tenant_id,
            action="cli.export",
            details={"actor": actor, "audio": audio, "passwordHashes": password_hashes},
        )
        last = b""
        async for line in export_tenant(
            db.raw, tenant_id, audio=audio, password_hashes=password_hashes, actor=actor
        ):
            out.write(line)
            last = line
    rows: dict[str, int] = json.loads(last)["rows"]
    return rows


async def import_from(
    connection: asyncpg.Connection, lines: Iterable[bytes], *, slug: str | None
) -> ImportReport:
    async with transaction(connection, role=DbRole.OWNER, request_id="cli") as db:
        report = await import_tenant(db.raw, lines, slug=slug)
        # Restored as exported; documents without vectors of this server's model get them.
        await embeddings.queue_stale(db, tenant_id=report.tenant_id)
        await governance_queries.operator_action(
            db,
            action="import",
            digest=tenant_digest(report.tenant_id),
            actor=operator(),
            details={"rows": report.rows, "users_created": report.users_created},
        )
    return report


async def delete(connection: asyncpg.Connection, slug: str, *, erase_orphan_users: bool) -> dict[str, int]:
    async with transaction(connection, role=DbRole.OWNER, request_id="cli") as db:
        tenant_id = await find_tenant(db, slug)
        return await erase_tenant(db.raw, tenant_id, actor=operator(), erase_orphan_users=erase_orphan_users)


def parse_quota(assignment: str) -> tuple[str, Decimal | None, bool]:
    """`max_projects=50` / `max_storage_bytes=unlimited` / `max_projects=plan` (the override
    removed) → (quota, value, remove)."""
    name, _, raw = assignment.partition("=")
    name, raw = name.strip().replace("-", "_"), raw.strip().lower()
    if name not in QUOTAS or not raw:
        raise PortabilityError(f"expected QUOTA=VALUE with QUOTA one of {', '.join(QUOTAS)}")
    if raw == "plan":
        return name, None, True
    if raw == "unlimited":
        if name == "requests_per_minute":
            raise PortabilityError("requests_per_minute cannot be unlimited")
        return name, None, False
    try:
        value = Decimal(raw)
    except InvalidOperation as error:
        raise PortabilityError(f"{name}: {raw!r} is not a number, 'unlimited' or 'plan'") from error
    if value < 0 or (name == "requests_per_minute" and value < 1):
        raise PortabilityError(f"{name}: {raw} is out of range")
    return name, value, False


async def quota(connection: asyncpg.Connection, slug: str, assignments: list[str]) -> dict[str, Any]:
    """Applies the overrides (if any), then returns the effective limits and the usage."""
    parsed = [parse_quota(a) for a in assignments]
    async with transaction(connection, role=DbRole.OWNER, request_id="cli") as db:
        tenant_id = await find_tenant(db, slug)
        for name, value, remove in parsed:
            if remove:
                await governance_queries.remove_quota_override(db, tenant_id=tenant_id, quota=name)
            else:
                await governance_queries.set_quota_override(db, tenant_id=tenant_id, quota=name, value=value)
        if parsed:
            await governance_queries.operator_audit(
                db, tenant_id=tenant_id, action="cli.quota", details={"actor": operator(), "set": assignments}
            )
        return await governance_queries.limits_and_usage(db, tenant_id=tenant_id)
