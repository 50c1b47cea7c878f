"""User commands: `user reset-link EMAIL` (operators, when no mail is configured)."""

from __future__ import annotations

import click

from iafactory.cli.common import database_url, load_settings, main, with_connection
from iafactory.db import admin
from iafactory.mail import reset_link


@main.group()
def user() -> None:
    """User accounts."""


@user.command("reset-link")
@click.argument("email")
def user_reset_link(email: str) -> None:
    """Print a one-time password-reset link for the user with EMAIL."""
    settings = load_settings()
    dsn, _ = database_url(settings)
    token = with_connection(
        dsn, lambda c: admin.password_reset_token(c, email=email, ttl_seconds=settings.password_reset_ttl)
    )
    click.echo(reset_link(settings.public_base_url, token))
