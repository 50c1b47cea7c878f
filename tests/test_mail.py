"""Mail through IAFACTORY_SMTP_URL, received by a local SMTP server (aiosmtpd): the reset
link and the invitation reach the person, and IAFACTORY_DIRECT_MEMBER_ADD=false turns
addMember off in favour of inviteMember."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.helpers import login, only_code
from tests.http.lifecycle import fresh_email
from tests.support.graphql import GraphQLClient, register
from tests.support.server import Server, free_port, start_server

PUBLIC_URL = "https://console.example.dz"
LINK = re.compile(r"https://console\.example\.dz/(?:accept|reset-password)\?token=[\w%-]+")


class Mailbox:
    """aiosmtpd's handler: keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"

    def wait_for(self, to: str, within: float = 10) -> Message:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in self.messages:
                if message["To"] == to:
                    return message
            time.sleep(0.05)
        raise AssertionError(f"no mail to {to} within {within} s: {[m['To'] for m in self.messages]}")


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.port = free_port()  # type: ignore[attr-defined]
    controller = Controller(box, hostname="127.0.0.1", port=box.port)  # type: ignore[attr-defined]
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def mail_server(
    database_url: str, mailbox: Mailbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    smtp = f"smtp://127.0.0.1:{mailbox_port(mailbox)}"
    running = start_server(
        database_url,
        Path(tmp_path_factory.mktemp("mail-server")),
        IAFACTORY_SMTP_URL=smtp,
        IAFACTORY_MAIL_FROM="IAFactory <no-reply@example.dz>",
        IAFACTORY_PUBLIC_URL=PUBLIC_URL,
        IAFACTORY_DIRECT_MEMBER_ADD="false",
    )
    yield running
    running.stop()


def mailbox_port(box: Mailbox) -> int:
    return int(box.port)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def mail_client(mail_server: Server) -> GraphQLClient:
    return GraphQLClient(mail_server.graphql_url)


def link_in(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = LINK.search(body.decode())
    assert found, body
    return found.group(0)


def test_a_reset_request_mails_a_link_that_sets_the_new_password(
    mail_client: GraphQLClient, mailbox: Mailbox
) -> None:
    someone = register(mail_client, name="mailed")
    assert mail_client.data("mutation($e: String!) { requestPasswordReset(email: $e) }", {"e": someone.email})
    message = mailbox.wait_for(someone.email)
    assert message["From"] == "IAFactory <no-reply@example.dz>"
    token = link_in(message).rpartition("token=")[2]
    mail_client.data(
        "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { accessToken } }",
        {"t": token, "p": "a mailed new passphrase"},
    )
    assert login(mail_client, someone.email, "a mailed new passphrase")["accessToken"]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    mail_client: GraphQLClient, mailbox: Mailbox
) -> None:
    ghost = fresh_email("ghost")
    body = mail_client.execute("mutation($e: String!) { requestPasswordReset(email: $e) }", {"e": ghost})
    assert body == {"data": {"requestPasswordReset": True}}
    time.sleep(0.5)
    assert all(message["To"] != ghost for message in mailbox.messages)


def test_an_invitation_is_mailed_to_the_invitee_with_its_link(
    mail_client: GraphQLClient, mailbox: Mailbox
) -> None:
    owner, invitee = register(mail_client, name="mail-owner"), fresh_email("mail-invitee")
    payload = mail_client.data(
        "mutation($e: String!) { inviteMember(email: $e) { acceptUrl } }",
        {"e": invitee},
        token=owner.access_token,
    )["inviteMember"]
    assert payload["acceptUrl"].startswith(f"{PUBLIC_URL}/accept?token=")
    assert link_in(mailbox.wait_for(invitee)) == payload["acceptUrl"]


def test_add_member_is_forbidden_and_points_to_invite_member_when_direct_add_is_off(
    mail_client: GraphQLClient,
) -> None:
    owner, other = register(mail_client, name="strict"), register(mail_client, name="other")
    body = mail_client.execute(
        "mutation($e: String!) { addMember(email: $e) { role } }",
        {"e": other.email},
        token=owner.access_token,
    )
    assert only_code(body) == "FORBIDDEN"
    assert "inviteMember" in body["errors"][0]["message"]
