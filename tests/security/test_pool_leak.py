"""Issue 9, finding 1: no request leaves a pooled connection idle in a transaction.

graphql-core lets sibling resolvers run on after a non-null field failed synchronously; the
operation's transaction had ended, and the first statement of a sibling opened a new one that
nothing closed. About ten such requests and the pool (4 here) was gone for every tenant."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import psycopg

from tests.helpers import create_superadmin, only_code
from tests.security.conftest import assert_no_idle_in_transaction, login_from, new_address
from tests.support.graphql import PASSWORD, Account, GraphQLClient, register
from tests.support.server import Server

ME = "{ me { user { email } role } }"
PROJECTS = "{ projects { totalCount } }"


def test_a_superadmin_without_a_tenant_asking_me_user_and_role_twenty_times_leaks_no_connection(
    client: GraphQLClient, guarded_client: GraphQLClient, database_url: str
) -> None:
    root = create_superadmin(client, database_url)  # signed in without a tenant
    for _ in range(20):
        guarded_client.execute(ME, token=root)
    alice = register(guarded_client, name="after-me")
    assert guarded_client.data(PROJECTS, token=alice.access_token)["projects"]["totalCount"] == 0, (
        "the API still answers: the pool (4 connections) was not used up"
    )
    assert_no_idle_in_transaction(database_url)


def test_twenty_sign_ins_selecting_viewer_role_leak_no_connection(
    client: GraphQLClient, guarded_client: GraphQLClient, database_url: str
) -> None:
    email = f"root-{uuid.uuid4().hex[:10]}@example.test"
    create_superadmin_with_email(client, database_url, email)
    for _ in range(20):
        body = login_from(guarded_client, email, PASSWORD, address=new_address())
        # Viewer.role is non-null: a tenantless sign-in cannot have one (the failure that let
        # its siblings run on after the transaction had ended).
        assert only_code(body) == "TENANT_REQUIRED", body
    alice = register(guarded_client, name="after-login")
    assert guarded_client.data(PROJECTS, token=alice.access_token)["projects"]["totalCount"] == 0
    assert_no_idle_in_transaction(database_url)


def test_a_suspended_tenants_requests_leave_no_transaction_for_the_pool_to_reset(
    guarded: Server, guarded_client: GraphQLClient, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("suspended")
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = %s", (alice.tenant_id,))
    for _ in range(10):
        assert only_code(guarded_client.execute(PROJECTS, token=alice.access_token)) == "TENANT_SUSPENDED"
    assert "Resetting connection with an active transaction" not in guarded.log.read_text(), (
        "a failed opening is rolled back before the connection goes back to the pool"
    )
    assert_no_idle_in_transaction(database_url)


def create_superadmin_with_email(client: GraphQLClient, database_url: str, email: str) -> None:
    from tests.helpers import cli_inline

    done = cli_inline(
        "superadmin", "create", "--email", email, "--password", PASSWORD, database_url=database_url
    )
    assert done.exit_code == 0, done.output
