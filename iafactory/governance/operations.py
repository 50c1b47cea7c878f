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

import asyncpg

from iafactory.db.queries import embeddings
from iafactory.governance.erasure import erase_tenant
from iafactory.governance.portability import (
    ImportReport,
    PortabilityError,
    export_tenant,
    find_tenant,
    import_tenant,
    tenant_digest,
)

QUOTAS = ("requests_per_minute", "max_projects", "max_storage_bytes", "max_audio_seconds_per_month")


def operator() -> str:
    """Who runs the command, for the audit trail: `cli:user@host`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}@{socket.gethostname()}"[:200]


async def export_to(
    connection: asyncpg.Connection, slug: str, out: IO[bytes], *, audio: bool, password_hashes: bool
) -> dict[str, int]:
    """Writes the export of tenant `slug` to `out`; returns the rows per table."""
    actor = operator()
    async with connection.transaction(isolation="repeatable_read"):
        await connection.execute("SET LOCAL ROLE iafactory_owner")
        tenant_id = await find_tenant(connection, slug)
        await connection.execute(
            "INSERT INTO audit_log (tenant_id, action, target_type, target_id, request_id, details)"
            " VALUES ($1, 'cli.export', 'Tenant', $2, 'cli', $3::text::jsonb)",
            tenant_id,
            str(tenant_id),
            json.dumps({"actor": actor, "audio": audio, "passwordHashes": password_hashes}),
        )
        last = b""
        async for line in export_tenant(
            connection, tenant_id, audio=audio, password_hashes=password_hashes, actor=actor
        ):
            out.write(line)
            last = line
    rows: dict[str, int] = json.loads(last)["rows"]
    return rows


async def import_from(
    connection: asyncpg.Connection, lines: Iterable[bytes], *, slug: str | None
) -> ImportReport:
    async with connection.transaction():
        await connection.execute("SET LOCAL ROLE iafactory_owner")
        report = await import_tenant(connection, lines, slug=slug)
        # Restored as exported; documents without vectors of this server's model get them.
        await embeddings.queue_stale(connection, tenant_id=report.tenant_id)
        await connection.execute(
            "INSERT INTO operator_actions (action, tenant_digest, actor, details)"
            " VALUES ('import', $1, $2, $3::text::jsonb)",
            tenant_digest(report.tenant_id),
            operator(),
            json.dumps({"rows": report.rows, "users_created": report.users_created}),
        )
    return report


async def delete(connection: asyncpg.Connection, slug: str, *, erase_orphan_users: bool) -> dict[str, int]:
    async with connection.transaction():
        await connection.execute("SET LOCAL ROLE iafactory_owner")
        tenant_id = await find_tenant(connection, slug)
        return await erase_tenant(
            connection, tenant_id, actor=operator(), erase_orphan_users=erase_orphan_users
        )


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
    async with connection.transaction():
        await connection.execute("SET LOCAL ROLE iafactory_owner")
        tenant_id = await find_tenant(connection, slug)
        for name, value, remove in parsed:
            if remove:
                await connection.execute(
                    "DELETE FROM tenant_quota_overrides WHERE tenant_id = $1 AND quota = $2", tenant_id, name
                )
            else:
                await connection.execute(
                    "INSERT INTO tenant_quota_overrides (tenant_id, quota, value) VALUES ($1, $2, $3)"
                    " ON CONFLICT (tenant_id, quota)"
                    " DO UPDATE SET value = EXCLUDED.value, updated_at = clock_timestamp()",
                    tenant_id,
                    name,
                    value,
                )
        if parsed:
            await connection.execute(
                "INSERT INTO audit_log (tenant_id, action, target_type, target_id, request_id, details)"
                " VALUES ($1, 'cli.quota', 'Tenant', $2, 'cli', $3::text::jsonb)",
                tenant_id,
                str(tenant_id),
                json.dumps({"actor": operator(), "set": assignments}),
            )
        limits = await connection.fetchrow("SELECT * FROM app.effective_limits($1)", tenant_id)
        usage = await connection.fetchrow("SELECT * FROM app.tenant_usage($1)", tenant_id)
        overridden = {
            r["quota"]
            for r in await connection.fetch(
                "SELECT quota FROM tenant_quota_overrides WHERE tenant_id = $1", tenant_id
            )
        }
    assert limits is not None
    assert usage is not None
    return {"limits": dict(limits), "usage": dict(usage), "overridden": sorted(overridden)}
