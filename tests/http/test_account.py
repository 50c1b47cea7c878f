"""Account self-service as a user runs it: profile, password change, password reset by a
one-time link (from the CLI and from the server's log; mail: tests/test_mail.py), and
sessions that end at once (issue 9, item 11)."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest

from tests.helpers import claims_of, cli, cli_inline, login, only_code, sign, token_claims
from tests.http.lifecycle import expire, fresh_email
from tests.support.graphql import PASSWORD, Account, GraphQLClient, error_codes, register
from tests.support.server import Server

ME = "{ me { user { email fullName } tenant { id } } }"
CHANGE = """mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) { accessToken refreshToken viewer { role } }
}"""
REQUEST = "mutation($email: String!) { requestPasswordReset(email: $email) }"
RESET = """mutation($token: String!, $new: String!) {
  resetPassword(token: $token, newPassword: $new) { accessToken refreshToken viewer { tenant { id } } }
}"""
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }"
LOGOUT = "mutation($t: String!) { logout(refreshToken: $t) }"
NEW_PASSWORD = "a brand new passphrase"


def signed_out(client: GraphQLClient, access_token: str) -> bool:
    return error_codes(client.execute(ME, token=access_token)) == ["UNAUTHENTICATED"]


def refresh_refused(client: GraphQLClient, refresh_token: str) -> bool:
    return error_codes(client.execute(REFRESH, {"t": refresh_token})) == ["UNAUTHENTICATED"]


def reset_token_from_cli(email: str, database_url: str) -> str:
    done = cli_inline("user", "reset-link", email, database_url=database_url)
    assert done.exit_code == 0, done.output
    return str(done.stdout.strip().rpartition("?token=")[2])


def sessions(client: GraphQLClient, account: Account, count: int) -> list[dict[str, Any]]:
    return [login(client, account.email) for _ in range(count)]


# --- profile -----------------------------------------------------------------------------------


def test_update_profile_changes_the_full_name(client: GraphQLClient) -> None:
    someone = register(client, name="profile")
    updated = client.data(
        'mutation { updateProfile(fullName: "  Yasmine K.  ") { email fullName } }',
        token=someone.access_token,
    )["updateProfile"]
    assert updated == {"email": someone.email, "fullName": "Yasmine K."}
    assert client.data(ME, token=someone.access_token)["me"]["user"]["fullName"] == "Yasmine K."


def test_update_profile_needs_a_signed_in_user(client: GraphQLClient) -> None:
    assert only_code(client.execute('mutation { updateProfile(fullName: "x") { id } }')) == "UNAUTHENTICATED"


# --- changePassword ------------------------------------------------------------------------------


def test_change_password_ends_every_earlier_session_this_requests_included(client: GraphQLClient) -> None:
    someone = register(client, name="changer")
    other_device = login(client, someone.email)
    changed = client.data(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}, token=someone.access_token)[
        "changePassword"
    ]
    assert signed_out(client, someone.access_token), "the access token of the request that changed it"
    assert signed_out(client, other_device["accessToken"]), "another device's access token, at once"
    assert refresh_refused(client, someone.refresh_token)
    assert refresh_refused(client, other_device["refreshToken"])
    assert client.data(ME, token=changed["accessToken"])["me"]["tenant"]["id"] == someone.tenant_id
    assert client.data(REFRESH, {"t": changed["refreshToken"]})["refreshToken"]["accessToken"]


def test_after_a_password_change_only_the_new_password_signs_in(client: GraphQLClient) -> None:
    someone = register(client, name="new-password")
    client.data(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}, token=someone.access_token)
    assert login(client, someone.email, NEW_PASSWORD)["accessToken"]
    old = client.execute(
        "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
        {"i": {"email": someone.email, "password": PASSWORD}},
    )
    assert only_code(old) == "UNAUTHENTICATED"


def test_a_wrong_current_password_changes_nothing(client: GraphQLClient) -> None:
    someone = register(client, name="wrong-current")
    body = client.execute(
        CHANGE, {"current": "not my password", "new": NEW_PASSWORD}, token=someone.access_token
    )
    assert only_code(body) == "BAD_USER_INPUT"
    assert not signed_out(client, someone.access_token), "the session goes on"
    assert login(client, someone.email)["accessToken"], "the old password still works"


def test_a_weak_new_password_is_refused(client: GraphQLClient) -> None:
    someone = register(client, name="weak-new")
    body = client.execute(CHANGE, {"current": PASSWORD, "new": "123"}, token=someone.access_token)
    assert only_code(body) == "BAD_USER_INPUT"
    assert not signed_out(client, someone.access_token)


# --- sessions end at once (issue 9, item 11) ------------------------------------------------------


def test_logout_ends_the_access_token_of_that_session_at_once(client: GraphQLClient) -> None:
    someone = register(client, name="logout")
    kept = login(client, someone.email)
    assert client.data(LOGOUT, {"t": someone.refresh_token})["logout"] is True
    assert signed_out(client, someone.access_token), "not 30 minutes later: now"
    assert not signed_out(client, kept["accessToken"]), "another session of the same user goes on"


def test_reusing_a_rotated_refresh_token_ends_the_access_tokens_of_its_family(client: GraphQLClient) -> None:
    someone = register(client, name="reuse")
    rotated = client.data(REFRESH, {"t": someone.refresh_token})["refreshToken"]
    assert refresh_refused(client, someone.refresh_token), "the replay is refused"
    assert signed_out(client, rotated["accessToken"]), "the family's newest access token dies with it"
    assert signed_out(client, someone.access_token)


def test_access_tokens_carry_their_session(client: GraphQLClient) -> None:
    someone = register(client, name="sid")
    first, rotated = token_claims(someone.access_token), client.data(REFRESH, {"t": someone.refresh_token})
    assert token_claims(rotated["refreshToken"]["accessToken"])["sid"] == first["sid"], (
        "one family, one session"
    )
    assert token_claims(login(client, someone.email)["accessToken"])["sid"] != first["sid"]


def test_a_token_without_a_session_issued_before_a_password_change_is_refused(client: GraphQLClient) -> None:
    someone = register(client, name="legacy")
    legacy = sign(claims_of(someone, iat=int(time.time()) - 5))  # as issued before sessions existed
    assert not signed_out(client, legacy)
    login_again = login(client, someone.email)["accessToken"]
    client.data(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}, token=login_again)
    assert signed_out(client, legacy)


# --- password reset ------------------------------------------------------------------------------


def test_request_password_reset_answers_the_same_for_unknown_addresses(
    client: GraphQLClient, server: Server
) -> None:
    someone = register(client, name="reset-known")
    known = client.post(REQUEST, {"email": someone.email}).json()
    unknown = client.post(REQUEST, {"email": fresh_email("nobody")}).json()
    assert known == unknown == {"data": {"requestPasswordReset": True}}


def test_without_mail_the_reset_link_is_written_to_the_server_log(
    client: GraphQLClient, server: Server
) -> None:
    someone = register(client, name="reset-logged")
    client.data(REQUEST, {"email": someone.email})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and someone.email not in server.log.read_text():
        time.sleep(0.1)
    lines = [line for line in server.log.read_text().splitlines() if someone.email in line]
    assert any("/reset-password?token=" in line for line in lines), lines


def test_the_cli_reset_link_sets_a_new_password_and_ends_every_session(
    client: GraphQLClient, database_url: str
) -> None:
    someone = register(client, name="reset-cli")
    done = cli("user", "reset-link", someone.email, database_url=database_url)
    assert done.returncode == 0, done.stderr
    link = done.stdout.strip()
    assert "/reset-password?token=" in link, link
    reset = client.data(RESET, {"token": link.rpartition("?token=")[2], "new": NEW_PASSWORD})["resetPassword"]
    assert reset["viewer"]["tenant"] == {"id": someone.tenant_id}
    assert signed_out(client, someone.access_token)
    assert refresh_refused(client, someone.refresh_token)
    assert login(client, someone.email, NEW_PASSWORD)["accessToken"]


def test_the_cli_refuses_an_unknown_address_with_one_line(database_url: str) -> None:
    done = cli_inline("user", "reset-link", fresh_email("ghost"), database_url=database_url)
    assert done.exit_code == 1
    assert done.output.strip().startswith("iafactory: no user with the email"), done.output


@pytest.mark.parametrize("why", ["used", "expired", "superseded by a reset", "unknown"])
def test_a_used_or_expired_reset_token_is_not_found(
    client: GraphQLClient, database_url: str, why: str
) -> None:
    someone = register(client, name="reset-once")
    token = reset_token_from_cli(someone.email, database_url)
    if why == "used":
        client.data(RESET, {"token": token, "new": NEW_PASSWORD})
    elif why == "expired":
        with psycopg.connect(database_url) as connection:
            row = connection.execute(
                "SELECT r.id::text FROM password_resets r JOIN users u ON u.id = r.user_id"
                " WHERE u.email = %s",
                (someone.email,),
            ).fetchone()
        assert row is not None
        expire(database_url, "password_resets", row[0])
    elif why == "superseded by a reset":
        client.data(RESET, {"token": reset_token_from_cli(someone.email, database_url), "new": NEW_PASSWORD})
    else:
        token = token[:-4] + "AAAA"
    body = client.execute(RESET, {"token": token, "new": NEW_PASSWORD + " 2"})
    assert only_code(body) == "NOT_FOUND", body
