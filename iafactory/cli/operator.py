"""Operator commands: `superadmin`, `tenant`, `billing`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import click

from iafactory.cli import units
from iafactory.cli.common import database_url, fail, load_settings, main, with_connection
from iafactory.db import admin

T = TypeVar("T")


@main.group()
def superadmin() -> None:
    """Super-admin users."""


@superadmin.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
def superadmin_create(email: str, password: str) -> None:
    """Create (or promote) a super-admin user."""
    dsn, _ = database_url(load_settings())
    user_id = with_connection(dsn, lambda c: admin.upsert_superadmin(c, email=email, password=password))
    click.echo(f"super-admin {email.strip().lower()} ({user_id})")


@main.group()
def tenant() -> None:
    """Tenant administration."""


@tenant.command("list")
def tenant_list() -> None:
    """Every tenant, oldest first, one per line (tab-separated, under a header row)."""
    dsn, _ = database_url(load_settings())
    tenants = with_connection(dsn, admin.list_tenants)
    click.echo("SLUG\tNAME\tREGION\tPLAN\tSTATUS\tMEMBERS\tID")
    for t in tenants:
        click.echo(f"{t.slug}\t{t.name}\t{t.region}\t{t.plan}\t{t.status}\t{t.members}\t{t.id}")


@tenant.command("create")
@click.option("--name", required=True)
@click.option("--slug", required=True)
@click.option("--region", default="DZ", show_default=True)
@click.option("--plan", type=click.Choice(["FREE", "PRO", "ENTERPRISE"]), default="FREE", show_default=True)
@click.option("--owner-email", default=None)
def tenant_create(name: str, slug: str, region: str, plan: str, owner_email: str | None) -> None:
    dsn, _ = database_url(load_settings())
    tenant_id = with_connection(
        dsn,
        lambda c: admin.create_tenant(
            c, name=name, slug=slug, region=region, plan=plan, owner_email=owner_email
        ),
    )
    click.echo(f"{slug}\t{tenant_id}")


@tenant.command("suspend")
@click.argument("slug")
def tenant_suspend(slug: str) -> None:
    dsn, _ = database_url(load_settings())
    with_connection(dsn, lambda c: admin.set_tenant_status(c, slug=slug, status="SUSPENDED"))
    click.echo(f"{slug} suspended")


@tenant.command("resume")
@click.argument("slug")
def tenant_resume(slug: str) -> None:
    dsn, _ = database_url(load_settings())
    with_connection(dsn, lambda c: admin.set_tenant_status(c, slug=slug, status="ACTIVE"))
    click.echo(f"{slug} resumed")


def _operate(dsn: str, action: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """with_connection, for the governance commands: their refusals are one line too."""
    from iafactory.governance.portability import PortabilityError

    try:
        return with_connection(dsn, action)
    except PortabilityError as error:
        fail(str(error))
        raise  # unreachable


@tenant.command("export")
@click.argument("slug")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write [default: stdout].",
)
@click.option("--no-audio", is_flag=True, help="Leave the audio files out (transcriptions keep their text).")
@click.option(
    "--with-password-hashes",
    is_flag=True,
    help="Include members' password hashes, so they keep their passwords in another database"
    " (the file is then a secret).",
)
def tenant_export(slug: str, output: Path | None, no_audio: bool, with_password_hashes: bool) -> None:
    """Write the tenant's complete data as one file (versioned JSON lines:
    iafactory/governance/export_format.md)."""
    from iafactory.governance import operations

    dsn, _ = database_url(load_settings())

    def run_export(out: Any) -> dict[str, int]:
        return _operate(
            dsn,
            lambda c: operations.export_to(
                c, slug, out, audio=not no_audio, password_hashes=with_password_hashes
            ),
        )

    if output is None or str(output) == "-":
        rows = run_export(sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        # Written beside, then renamed: a failed export never leaves a plausible-looking file.
        partial = output.with_name(output.name + ".partial")
        try:
            with os.fdopen(os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600), "wb") as out:
                rows = run_export(out)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    summary = ", ".join(f"{name} {count}" for name, count in rows.items() if count)
    click.echo(f"exported {slug}: {summary}" + (f" -> {output}" if output else ""), err=True)


@tenant.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--slug", default=None, help="Restore under this slug (when the exported one is taken here).")
def tenant_import(file: Path, slug: str | None) -> None:
    """Restore a tenant from an export FILE ('-': stdin) into a database without it (same ids)."""
    from iafactory.governance import operations

    dsn, _ = database_url(load_settings())
    source = sys.stdin.buffer if str(file) == "-" else file.open("rb")
    with source:
        report = _operate(dsn, lambda c: operations.import_from(c, source, slug=slug))
    click.echo(f"imported {report.slug} ({report.tenant_id}): {report.users_created} user(s) created")
    if report.users_without_password:
        click.echo(
            f"note: {report.users_without_password} new user(s) have no password (the export had no"
            " hashes: export with --with-password-hashes to keep them)",
            err=True,
        )


@tenant.command("delete")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Confirm: every row of the tenant is erased, in one transaction.")
@click.option(
    "--erase-orphan-users",
    is_flag=True,
    help="Also delete the members left without any tenant (their accounts and personal data).",
)
def tenant_delete(slug: str, yes: bool, erase_orphan_users: bool) -> None:
    """Erase the tenant and every row of its data (export it first if it may be needed)."""
    from iafactory.governance import operations

    if not yes:
        fail(
            f"refusing to erase {slug} without --yes"
            f" (keep a copy first: iafactory tenant export {slug} -o FILE)"
        )
    dsn, _ = database_url(load_settings())
    deleted = _operate(dsn, lambda c: operations.delete(c, slug, erase_orphan_users=erase_orphan_users))
    summary = ", ".join(f"{name} {count}" for name, count in deleted.items() if count)
    click.echo(f"erased {slug}: {summary}")


@tenant.command("quota")
@click.argument("slug")
@click.argument("assignments", nargs=-1, metavar="[QUOTA=N|unlimited|plan]...")
def tenant_quota(slug: str, assignments: tuple[str, ...]) -> None:
    """Show the tenant's limits and usage; QUOTA=VALUE sets an operator's override of its plan
    (plan: removes it). Quotas: requests_per_minute, max_projects, max_storage_bytes,
    max_audio_seconds_per_month."""
    from iafactory.governance import operations

    dsn, _ = database_url(load_settings())
    result = _operate(dsn, lambda c: operations.quota(c, slug, list(assignments)))
    limits, usage = result["limits"], result["usage"]
    used = {
        "max_projects": usage["projects"],
        "max_storage_bytes": usage["storage_bytes"],
        "max_audio_seconds_per_month": usage["audio_seconds_this_month"],
    }
    shown: dict[str, Callable[[Any], str]] = {
        "requests_per_minute": lambda v: f"{v}/minute",
        "max_projects": str,
        "max_storage_bytes": units.size,
        "max_audio_seconds_per_month": units.duration,
    }
    rows = [("QUOTA", "LIMIT", "SET BY", "USED")]
    for name in operations.QUOTAS:
        show = shown[name]
        limit = "unlimited" if limits[name] is None else show(limits[name])
        source = "operator override" if name in result["overridden"] else f"plan {limits['plan']}"
        rows.append((name, limit, source, show(used[name]) if name in used else ""))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    click.echo(f"{slug}: plan {limits['plan']}")
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo(("  " + "  ".join(cells)).rstrip())


@main.group()
def billing() -> None:
    """Monthly usage records per tenant (the raw material of invoices)."""


@billing.command("usage")
@click.option("--month", default=None, help="YYYY-MM (UTC) [default: the current month, brought up to date].")
@click.option("--tenant", "slug", default=None, help="One tenant's record only.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
def billing_usage(month: str | None, slug: str | None, output_format: str) -> None:
    """API calls, audio seconds and peak storage of each tenant in a month."""
    from iafactory.governance import billing as billing_records
    from iafactory.governance.portability import PortabilityError

    try:
        period = billing_records.parse_month(month)
    except PortabilityError as error:
        fail(str(error))
        raise
    dsn, _ = database_url(load_settings())
    records = _operate(dsn, lambda c: billing_records.usage_records(c, period=period, slug=slug))
    fields = ("slug", "plan", "period", "api_calls", "audio_seconds", "storage_peak_bytes", "tenant_id")
    rows = [{f: getattr(r, f) for f in fields} for r in records]
    if output_format == "json":
        click.echo(json.dumps(rows, default=str, indent=2))
    else:
        separator = "," if output_format == "csv" else "\t"
        click.echo(separator.join(fields))
        for row in rows:
            click.echo(separator.join(str(row[f]) for f in fields))
