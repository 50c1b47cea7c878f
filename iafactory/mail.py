"""Mail for the tenant lifecycle (invitations, password resets) through IAFACTORY_SMTP_URL.

Python's own smtplib, in a thread: a few mails a day need no extra dependency. Without SMTP
the link is written to the log instead (operators also have `iafactory user reset-link`).

>>> await Mailer(settings).deliver(Letter(to="a@b.dz", subject="...", body="...", link=url))
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import quote, unquote, urlsplit

import structlog

from iafactory.settings import Settings

log = structlog.get_logger("iafactory.mail")
SMTP_TIMEOUT_SECONDS = 20


def accept_link(public_base_url: str, token: str) -> str:
    """An invitation's link: the web console's page that accepts it (`/accept`)."""
    return f"{public_base_url}/accept?token={quote(token)}"


def reset_link(public_base_url: str, token: str) -> str:
    """A password reset's link: the web console's page that sets the new password."""
    return f"{public_base_url}/reset-password?token={quote(token)}"


@dataclass(frozen=True, slots=True)
class Letter:
    to: str
    subject: str
    body: str
    # The one-time link the letter carries: logged instead when no SMTP server is configured.
    link: str
    kind: str = "notice"


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self._url = urlsplit(settings.smtp_url) if settings.smtp_url else None
        self._sender = settings.mail_from

    @property
    def configured(self) -> bool:
        return self._url is not None

    async def deliver(self, letter: Letter) -> None:
        if self._url is None:
            # No mail configured: the contract's fallback (CONTRACT.md, IAFACTORY_SMTP_URL).
            log.warning(
                "mail not configured: link written to the log",
                kind=letter.kind,
                to=letter.to,
                link=letter.link,
            )
            return
        await asyncio.to_thread(self._send, letter)
        log.info("mail sent", kind=letter.kind, to=letter.to)

    def _send(self, letter: Letter) -> None:
        assert self._url is not None
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = letter.to
        message["Subject"] = letter.subject
        message.set_content(letter.body)
        host, implicit_tls = self._url.hostname or "localhost", self._url.scheme == "smtps"
        port = self._url.port or (465 if implicit_tls else 25)
        context = ssl.create_default_context()
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
            if implicit_tls
            else smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
        )
        with smtp:
            if not implicit_tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
            if self._url.username:
                smtp.login(unquote(self._url.username), unquote(self._url.password or ""))
            smtp.send_message(message)
