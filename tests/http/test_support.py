"""Support sessions as a super-admin and a tenant owner live them: the super-admin looks
inside the tenant, read-only, for a stated reason; the owner sees who looked, when and why."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import claims_of, create_superadmin, only_code, sign, token_claims
from tests.support.database import sql
from tests.support.graphql import Account, GraphQLClient, register

ENTER = """mutation($tenant: ID!, $reason: String!) {
  enterTenantAsSupport(tenantId: $tenant, reason: $reason) {
    accessToken refreshToken expiresAt viewer { role isSuperadmin tenant { id } user { email } }
  }
}"""
AUDIT = "{ auditLog(first: 20) { nodes { action details actor { email } } } }"
PROJECTS = "{ projects { totalCount nodes { name } } }"
REASON = "Ticket 4521: the customer cannot see their projects"


@pytest.fixture(scope="module")
def root(client: GraphQLClient, database_url: str) -> str:
    return create_superadmin(client, database_url)


@pytest.fixture
def customer(client: GraphQLClient) -> Account:
    owner = register(client, name="customer")
    client.data('mutation { createProject(input: {name: "Atlas"}) { id } }', token=owner.access_token)
    return owner


def enter(client: GraphQLClient, root: str, tenant_id: str, reason: str = REASON) -> dict[str, Any]:
    return dict(
        client.data(ENTER, {"tenant": tenant_id, "reason": reason}, token=root)["enterTenantAsSupport"]
    )


def test_a_support_session_reads_the_tenant_as_support(
    client: GraphQLClient, root: str, customer: Account
) -> None:
    session = enter(client, root, customer.tenant_id)
    assert session["viewer"]["role"] == "SUPPORT"
    assert session["viewer"]["tenant"] == {"id": customer.tenant_id}
    assert client.data(PROJECTS, token=session["accessToken"])["projects"] == {
        "totalCount": 1,
        "nodes": [{"name": "Atlas"}],
    }
    me = client.data("{ me { role tenant { id } } }", token=session["accessToken"])["me"]
    assert me == {"role": "SUPPORT", "tenant": {"id": customer.tenant_id}}


def test_a_support_token_lives_at_most_15_minutes_and_cannot_be_refreshed(
    client: GraphQLClient, root: str, customer: Account
) -> None:
    session = enter(client, root, customer.tenant_id)
    claims = token_claims(session["accessToken"])
    assert claims["exp"] - claims["iat"] <= 15 * 60
    assert (claims["role"], claims["tenant_id"], claims["superadmin"]) == (
        "SUPPORT",
        customer.tenant_id,
        True,
    )
    assert session["refreshToken"] == "", "no refresh token exists for a support session"
    assert datetime.fromisoformat(session["expiresAt"]) <= datetime.now(UTC) + timedelta(minutes=15)


@pytest.mark.parametrize(
    "mutation",
    [
        'mutation { createProject(input: {name: "Sneaky"}) { id } }',
        'mutation { inviteMember(email: "x@example.test") { token } }',
        'mutation { updateProfile(fullName: "Root") { id } }',
        "mutation { requestTenantExport { url } }",
    ],
)
def test_every_mutation_in_a_support_session_is_forbidden_and_writes_nothing(
    client: GraphQLClient, root: str, customer: Account, mutation: str
) -> None:
    session = enter(client, root, customer.tenant_id)
    assert only_code(client.execute(mutation, token=session["accessToken"])) == "FORBIDDEN"
    assert client.data(PROJECTS, token=customer.access_token)["projects"]["totalCount"] == 1


def test_the_owner_sees_each_support_operation_with_the_reason_and_the_superadmin(
    client: GraphQLClient, root: str, customer: Account
) -> None:
    session = enter(client, root, customer.tenant_id)
    client.data(PROJECTS, token=session["accessToken"])
    root_email = client.data("{ me { user { email } } }", token=root)["me"]["user"]["email"]
    entries = client.data(AUDIT, token=customer.access_token)["auditLog"]["nodes"]
    support = [e for e in entries if e["action"].startswith("support.")]
    assert {"action": "support.projects", "details": REASON, "actor": {"email": root_email}} in support
    assert {"action": "support.enter", "details": REASON, "actor": {"email": root_email}} in support


def test_support_operations_are_in_the_superadmin_audit_log_too(
    client: GraphQLClient, root: str, customer: Account, database_url: str
) -> None:
    reason = f"Ticket {uuid.uuid4().hex[:8]}"
    session = enter(client, root, customer.tenant_id, reason=reason)
    client.data(PROJECTS, token=session["accessToken"])
    rows = sql(
        database_url,
        "SELECT action, details->>'reason' AS reason FROM superadmin_audit_log"
        " WHERE target_id = $1 ORDER BY id",
        customer.tenant_id,
    )
    assert [(r["action"], r["reason"]) for r in rows][-2:] == [
        ("enter_tenant_as_support", reason),
        ("support.projects", reason),
    ]


def test_a_support_session_reads_a_suspended_tenant(
    client: GraphQLClient, root: str, customer: Account
) -> None:
    client.data(
        "mutation($id: ID!) { updateTenant(id: $id, input: {status: SUSPENDED}) { status } }",
        {"id": customer.tenant_id},
        token=root,
    )
    assert only_code(client.execute(PROJECTS, token=customer.access_token)) == "TENANT_SUSPENDED"
    session = enter(client, root, customer.tenant_id)
    assert client.data(PROJECTS, token=session["accessToken"])["projects"]["totalCount"] == 1
    body = client.execute(
        'mutation { createProject(input: {name: "x"}) { id } }', token=session["accessToken"]
    )
    assert only_code(body) == "FORBIDDEN"


def test_a_support_token_does_not_act_as_a_superadmin(
    client: GraphQLClient, root: str, customer: Account
) -> None:
    session = enter(client, root, customer.tenant_id)
    assert (
        only_code(client.execute("{ tenants { totalCount } }", token=session["accessToken"])) == "FORBIDDEN"
    )


def test_only_a_superadmin_may_enter_a_tenant_as_support(client: GraphQLClient, customer: Account) -> None:
    other = register(client, name="nosy")
    body = client.execute(ENTER, {"tenant": customer.tenant_id, "reason": REASON}, token=other.access_token)
    assert only_code(body) == "FORBIDDEN"


def test_a_reason_is_required(client: GraphQLClient, root: str, customer: Account) -> None:
    body = client.execute(ENTER, {"tenant": customer.tenant_id, "reason": "  "}, token=root)
    assert only_code(body) == "BAD_USER_INPUT"


def test_an_unknown_tenant_is_not_found(client: GraphQLClient, root: str) -> None:
    assert only_code(client.execute(ENTER, {"tenant": str(uuid.uuid4()), "reason": REASON}, token=root)) == (
        "NOT_FOUND"
    )


def test_a_forged_support_claim_on_a_normal_user_is_unauthenticated(
    client: GraphQLClient, customer: Account
) -> None:
    forged = sign(claims_of(customer, role="SUPPORT", superadmin=True, sid=str(uuid.uuid4())))
    assert only_code(client.execute(PROJECTS, token=forged)) == "UNAUTHENTICATED"
