"""Super-admin tenant administration: tenants, createTenant, updateTenant (suspend/resume).
The super-admin is made the way an operator would: `iafactory superadmin create`, then login."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers import create_superadmin, login, only_code
from tests.support.database import superuser
from tests.support.graphql import PASSWORD, Account, GraphQLClient, error_codes, register

TENANTS = """query($first: Int, $after: String) {
  tenants(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id slug status createdAt }
  }
}"""
CREATE = """mutation($input: CreateTenantInput!) {
  createTenant(input: $input) { id name slug region plan status createdAt }
}"""
UPDATE = """mutation($id: ID!, $input: UpdateTenantInput!) {
  updateTenant(id: $id, input: $input) { id name slug plan status }
}"""
ME = "{ me { isSuperadmin user { email } memberships { role } } }"
LOGIN = "mutation($input: LoginInput!) { login(input: $input) { accessToken } }"


def slug() -> str:
    return f"admin-made-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def root(client: GraphQLClient, database_url: str) -> str:
    """A super-admin's access token (no tenant)."""
    return create_superadmin(client, database_url)


@pytest.fixture(scope="module")
def tenant_owner(client: GraphQLClient) -> Account:
    return register(client, name="customer")


def test_a_superadmin_signs_in_without_a_tenant(client: GraphQLClient, root: str) -> None:
    me = client.data(ME, token=root)["me"]
    assert (me["isSuperadmin"], me["memberships"]) == (True, [])
    body = client.execute("{ me { tenant { id } } }", token=root)
    assert error_codes(body) == ["TENANT_REQUIRED"], "no active tenant: tenant-scoped fields say so"


def test_tenants_lists_every_tenant_newest_first_with_pages(
    client: GraphQLClient, root: str, tenant_owner: Account
) -> None:
    newest = register(client, name="newest")
    first = client.data(TENANTS, {"first": 1}, token=root)["tenants"]
    assert [n["id"] for n in first["nodes"]] == [newest.tenant_id], "newest first"
    assert first["totalCount"] >= 2
    assert first["pageInfo"]["hasNextPage"]
    second = client.data(TENANTS, {"first": 1, "after": first["pageInfo"]["endCursor"]}, token=root)[
        "tenants"
    ]
    assert second["nodes"]
    assert second["nodes"][0]["createdAt"] <= first["nodes"][0]["createdAt"]
    assert second["nodes"][0]["id"] != newest.tenant_id, "pages do not overlap"
    everything = client.data(TENANTS, {"first": 100}, token=root)["tenants"]
    assert tenant_owner.tenant_id in {n["id"] for n in everything["nodes"]}, (
        "every customer's tenant is listed"
    )
    stamps = [n["createdAt"] for n in everything["nodes"]]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize("query", [TENANTS, CREATE, UPDATE])
def test_a_tenant_owner_is_forbidden_the_superadmin_fields(
    client: GraphQLClient, tenant_owner: Account, query: str
) -> None:
    variables = {"input": {"name": "x", "slug": slug()}, "id": tenant_owner.tenant_id}
    if query is UPDATE:
        variables["input"] = {"plan": "ENTERPRISE"}
    assert only_code(client.execute(query, variables, token=tenant_owner.access_token)) == "FORBIDDEN"


def test_the_superadmin_fields_need_a_token(client: GraphQLClient) -> None:
    assert only_code(client.execute(TENANTS)) == "UNAUTHENTICATED"


def test_create_tenant_with_an_existing_user_as_owner(client: GraphQLClient, root: str) -> None:
    future_owner = register(client, name="future-owner")
    new_slug = slug()
    created = client.data(
        CREATE,
        {
            "input": {
                "name": "Clinique Ibn Sina",
                "slug": new_slug,
                "region": "MA",
                "plan": "PRO",
                "ownerEmail": future_owner.email,
            }
        },
        token=root,
    )["createTenant"]
    assert {k: created[k] for k in ("name", "slug", "region", "plan", "status")} == {
        "name": "Clinique Ibn Sina",
        "slug": new_slug,
        "region": "MA",
        "plan": "PRO",
        "status": "ACTIVE",
    }
    token = login(client, future_owner.email, tenant_slug=new_slug)["accessToken"]
    me = client.data("{ me { role tenant { id } } }", token=token)["me"]
    assert me == {"role": "OWNER", "tenant": {"id": created["id"]}}


def test_create_tenant_defaults_to_free_in_dz(client: GraphQLClient, root: str) -> None:
    created = client.data(CREATE, {"input": {"name": "Défauts", "slug": slug()}}, token=root)["createTenant"]
    assert (created["plan"], created["region"], created["status"]) == ("FREE", "DZ", "ACTIVE")


def test_create_tenant_with_a_taken_slug_is_a_conflict(
    client: GraphQLClient, root: str, tenant_owner: Account
) -> None:
    body = client.execute(CREATE, {"input": {"name": "Copy", "slug": tenant_owner.tenant_slug}}, token=root)
    assert only_code(body) == "CONFLICT"


@pytest.mark.parametrize("bad", [{"slug": "Not A Slug"}, {"name": "  "}, {"region": "Algérie"}])
def test_create_tenant_refuses_malformed_input(client: GraphQLClient, root: str, bad: dict[str, str]) -> None:
    body = client.execute(CREATE, {"input": {"name": "Ok", "slug": slug(), **bad}}, token=root)
    assert only_code(body) == "BAD_USER_INPUT", body


def test_create_tenant_with_an_unknown_owner_creates_nothing(client: GraphQLClient, root: str) -> None:
    new_slug = slug()
    body = client.execute(
        CREATE,
        {"input": {"name": "Orphan", "slug": new_slug, "ownerEmail": f"ghost-{uuid.uuid4().hex}@x.test"}},
        token=root,
    )
    assert only_code(body) == "NOT_FOUND"
    retry = client.execute(CREATE, {"input": {"name": "Orphan", "slug": new_slug}}, token=root)
    assert not retry.get("errors"), f"the failed mutation must have rolled the tenant back: {retry}"


def test_update_tenant_renames_and_changes_plan(client: GraphQLClient, root: str) -> None:
    created = client.data(CREATE, {"input": {"name": "Avant", "slug": slug()}}, token=root)["createTenant"]
    updated = client.data(
        UPDATE, {"id": created["id"], "input": {"name": "Après", "plan": "ENTERPRISE"}}, token=root
    )
    assert updated["updateTenant"] == {
        **updated["updateTenant"],
        "name": "Après",
        "plan": "ENTERPRISE",
        "status": "ACTIVE",
    }


def test_update_tenant_with_an_unknown_or_malformed_id(client: GraphQLClient, root: str) -> None:
    unknown = client.execute(UPDATE, {"id": str(uuid.uuid4()), "input": {"name": "x"}}, token=root)
    assert only_code(unknown) == "NOT_FOUND"
    assert (
        only_code(client.execute(UPDATE, {"id": "nope", "input": {"name": "x"}}, token=root))
        == "BAD_USER_INPUT"
    )


def test_suspending_a_tenant_locks_its_users_out_until_resumed(client: GraphQLClient, root: str) -> None:
    customer = register(client, name="suspended")
    project = 'mutation { createProject(input: {name: "x"}) { id } }'

    def suspend(status: str) -> Any:
        return client.data(UPDATE, {"id": customer.tenant_id, "input": {"status": status}}, token=root)[
            "updateTenant"
        ]

    assert suspend("SUSPENDED")["status"] == "SUSPENDED"
    assert only_code(client.execute(ME, token=customer.access_token)) == "TENANT_SUSPENDED"
    assert only_code(client.execute(project, token=customer.access_token)) == "TENANT_SUSPENDED"
    refused = client.execute(LOGIN, {"input": {"email": customer.email, "password": PASSWORD}})
    assert only_code(refused) == "TENANT_SUSPENDED", "a login into the suspended tenant is refused"
    listed = client.data(TENANTS, {"first": 100}, token=root)["tenants"]["nodes"]
    assert {n["id"]: n["status"] for n in listed}[customer.tenant_id] == "SUSPENDED"

    assert suspend("ACTIVE")["status"] == "ACTIVE"
    assert client.data(ME, token=customer.access_token)["me"]["user"]["email"] == customer.email
    assert not client.execute(project, token=customer.access_token).get("errors")


def test_suspending_one_tenant_leaves_the_users_other_tenants_usable(
    client: GraphQLClient, root: str
) -> None:
    customer = register(client, name="two-homes")
    other_slug = slug()
    client.data(
        CREATE, {"input": {"name": "Second", "slug": other_slug, "ownerEmail": customer.email}}, token=root
    )
    client.data(UPDATE, {"id": customer.tenant_id, "input": {"status": "SUSPENDED"}}, token=root)
    token = login(client, customer.email)["accessToken"]  # no slug: the first ACTIVE tenant
    assert client.data("{ me { tenant { slug } } }", token=token)["me"]["tenant"]["slug"] == other_slug


BILLING = """query($month: String) {
  billingUsage(month: $month) { month apiCalls audioSeconds storagePeakBytes tenant { id slug } }
}"""


def test_billing_usage_gives_a_superadmin_every_tenants_month(
    client: GraphQLClient, root: str, tenant_owner: Account
) -> None:
    client.data(
        'mutation { addDocument(input: {title: "Invoice me", content: "Stored bytes count."}) { id } }',
        token=tenant_owner.access_token,
    )
    records = client.data(BILLING, token=root)["billingUsage"]
    mine = [r for r in records if r["tenant"]["id"] == tenant_owner.tenant_id]
    assert len(mine) == 1, "one record per tenant and month"
    assert mine[0]["storagePeakBytes"] > 0, "the document's bytes reach the storage peak"
    assert len({r["month"] for r in records}) == 1


def test_billing_usage_is_forbidden_to_a_tenant_owner_and_rejects_a_bad_month(
    client: GraphQLClient, root: str, tenant_owner: Account
) -> None:
    assert only_code(client.execute(BILLING, token=tenant_owner.access_token)) == "FORBIDDEN"
    assert only_code(client.execute(BILLING, {"month": "November"}, token=root)) == "BAD_USER_INPUT"


async def test_every_superadmin_action_lands_in_the_superadmin_audit_log(
    client: GraphQLClient, root: str, database_url: str
) -> None:
    response = client.post(TENANTS, {"first": 1}, token=root)
    request_id = response.headers["x-request-id"]
    created = client.data(CREATE, {"input": {"name": "Audited", "slug": slug()}}, token=root)["createTenant"]
    async with superuser(database_url) as connection:
        rows = await connection.fetch(
            "SELECT action, target_id, request_id FROM superadmin_audit_log ORDER BY id DESC LIMIT 20"
        )
    assert ("list_tenants", None, request_id) in [tuple(r) for r in rows], "reads are audited too"
    assert ("create_tenant", created["id"]) in [(r["action"], r["target_id"]) for r in rows]
