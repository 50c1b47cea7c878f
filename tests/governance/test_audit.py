"""The audit trail: every mutation appends a row (tenant, actor, action, target, request id)
in its own transaction, with the request id of the response; the app role can only append."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import GraphQLObjectType, build_schema

from iafactory.schema.build import build_schema as build_server_schema
from iafactory.settings import Settings
from tests.governance.helpers import upload
from tests.helpers import add_member, as_app, cli_inline, create_superadmin, login
from tests.support.database import sql
from tests.support.graphql import PASSWORD, Account, GraphQLClient, register


@dataclass
class World:
    """alice OWNs a tenant and is a member of bob's; root is a super-admin."""

    client: GraphQLClient
    alice: Account
    bob: Account
    root: str
    database_url: str


@pytest.fixture(scope="module")
def world(client: GraphQLClient, database_url: str) -> World:
    alice, bob = register(client, name="audited"), register(client, name="other")
    add_member(client, bob, alice)
    return World(client, alice, bob, create_superadmin(client, database_url), database_url)


def call(
    world: World, query: str, variables: dict[str, Any] | None, request_id: str, token: str | None = None
) -> httpx.Response:
    return world.client.post(query, variables, token=token, headers={"X-Request-ID": request_id})


def data(response: httpx.Response) -> Any:
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


def new_project(world: World) -> str:
    return str(
        world.client.data(
            'mutation { createProject(input: {name: "p"}) { id } }', token=world.alice.access_token
        )["createProject"]["id"]
    )


# Each case performs its mutation with the given request id; it returns the response, the
# tenant the row belongs to, and the action it must record.
Case = Callable[[World, str], tuple[httpx.Response, str, str]]


def register_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    suffix = uuid.uuid4().hex[:10]
    response = call(
        w,
        "mutation($i: RegisterInput!) { register(input: $i) { viewer { tenant { id } } } }",
        {"i": {"email": f"new-{suffix}@example.test", "password": PASSWORD, "tenantSlug": f"new-{suffix}"}},
        rid,
    )
    return response, data(response)["register"]["viewer"]["tenant"]["id"], "register"


def login_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    response = call(
        w,
        "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
        {"i": {"email": w.alice.email, "password": PASSWORD, "tenantSlug": w.alice.tenant_slug}},
        rid,
    )
    return response, w.alice.tenant_id, "login"


def refresh_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    token = login(w.client, w.alice.email, tenant_slug=w.alice.tenant_slug)["refreshToken"]
    response = call(
        w, "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }", {"t": token}, rid
    )
    return response, w.alice.tenant_id, "refresh_token"


def logout_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    token = login(w.client, w.alice.email, tenant_slug=w.alice.tenant_slug)["refreshToken"]
    response = call(w, "mutation($t: String!) { logout(refreshToken: $t) }", {"t": token}, rid)
    return response, w.alice.tenant_id, "logout"


def switch_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    response = call(
        w,
        "mutation($t: ID!) { switchTenant(tenantId: $t) { accessToken } }",
        {"t": w.bob.tenant_id},
        rid,
        w.alice.access_token,
    )
    return response, w.bob.tenant_id, "switch_tenant"


def create_project_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    response = call(
        w, 'mutation { createProject(input: {name: "audited"}) { id } }', None, rid, w.alice.access_token
    )
    return response, w.alice.tenant_id, "create_project"


def update_project_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    response = call(
        w,
        'mutation($id: ID!) { updateProject(id: $id, input: {name: "renamed"}) { id } }',
        {"id": new_project(w)},
        rid,
        w.alice.access_token,
    )
    return response, w.alice.tenant_id, "update_project"


def delete_project_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    response = call(
        w, "mutation($id: ID!) { deleteProject(id: $id) }", {"id": new_project(w)}, rid, w.alice.access_token
    )
    return response, w.alice.tenant_id, "delete_project"


ADD_DOCUMENT = 'mutation { addDocument(input: {title: "t", content: "some words"}) { id } }'


def add_document_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    return call(w, ADD_DOCUMENT, None, rid, w.alice.access_token), w.alice.tenant_id, "add_document"


def delete_document_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    document = w.client.data(ADD_DOCUMENT, token=w.alice.access_token)["addDocument"]["id"]
    response = call(
        w, "mutation($id: ID!) { deleteDocument(id: $id) }", {"id": document}, rid, w.alice.access_token
    )
    return response, w.alice.tenant_id, "delete_document"


def transcribe_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    return upload(w.client, w.alice.access_token, request_id=rid), w.alice.tenant_id, "transcribe_audio"


def cancel_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    job = data(upload(w.client, w.alice.access_token))["transcribeAudio"]["id"]
    response = call(
        w,
        "mutation($id: ID!) { cancelTranscription(id: $id) { status } }",
        {"id": job},
        rid,
        w.alice.access_token,
    )
    return response, w.alice.tenant_id, "cancel_transcription"


def add_member_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    carol = register(w.client, name="carol")
    response = call(
        w,
        "mutation($e: String!) { addMember(email: $e) { role } }",
        {"e": carol.email},
        rid,
        w.alice.access_token,
    )
    return response, w.alice.tenant_id, "add_member"


def remove_member_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    dave = register(w.client, name="dave")
    add_member(w.client, w.alice, dave)
    response = call(
        w, "mutation($u: ID!) { removeMember(userId: $u) }", {"u": dave.user_id}, rid, w.alice.access_token
    )
    return response, w.alice.tenant_id, "remove_member"


def create_tenant_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    slug = f"made-{uuid.uuid4().hex[:10]}"
    response = call(
        w,
        'mutation($s: String!) { createTenant(input: {name: "Made", slug: $s}) { id } }',
        {"s": slug},
        rid,
        w.root,
    )
    return response, data(response)["createTenant"]["id"], "superadmin.create_tenant"


def update_tenant_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    response = call(
        w,
        "mutation($id: ID!) { updateTenant(id: $id, input: {plan: PRO}) { plan } }",
        {"id": w.bob.tenant_id},
        rid,
        w.root,
    )
    return response, w.bob.tenant_id, "superadmin.update_tenant"


def export_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    response = call(w, "mutation { requestTenantExport { url } }", None, rid, w.alice.access_token)
    return response, w.alice.tenant_id, "request_export"


INVITE = "mutation($e: String!) { inviteMember(email: $e) { token invitation { id } } }"


def invitation(w: World) -> dict[str, Any]:
    """A pending invitation to alice's tenant, for a new address."""
    return dict(
        w.client.data(
            INVITE, {"e": f"guest-{uuid.uuid4().hex[:10]}@example.test"}, token=w.alice.access_token
        )["inviteMember"]
    )


def invite_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    email = f"invited-{uuid.uuid4().hex[:10]}@example.test"
    return call(w, INVITE, {"e": email}, rid, w.alice.access_token), w.alice.tenant_id, "invite_member"


def revoke_invitation_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    invited = invitation(w)
    response = call(
        w,
        "mutation($i: ID!) { revokeInvitation(id: $i) { status } }",
        {"i": invited["invitation"]["id"]},
        rid,
        w.alice.access_token,
    )
    return response, w.alice.tenant_id, "revoke_invitation"


def accept_invitation_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    response = call(
        w,
        "mutation($t: String!, $p: String) { acceptInvitation(token: $t, password: $p) { accessToken } }",
        {"t": invitation(w)["token"], "p": PASSWORD},
        rid,
    )
    return response, w.alice.tenant_id, "accept_invitation"


def change_password_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    someone = register(w.client, name="changer")
    response = call(
        w,
        "mutation($c: String!, $n: String!) {"
        " changePassword(currentPassword: $c, newPassword: $n) { accessToken } }",
        {"c": PASSWORD, "n": PASSWORD + " again"},
        rid,
        someone.access_token,
    )
    return response, someone.tenant_id, "change_password"


def request_reset_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    someone = register(w.client, name="forgetful")
    response = call(w, "mutation($e: String!) { requestPasswordReset(email: $e) }", {"e": someone.email}, rid)
    return response, someone.tenant_id, "request_password_reset"


def reset_password_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    someone = register(w.client, name="resetter")
    link = cli_inline("user", "reset-link", someone.email, database_url=w.database_url)
    assert link.exit_code == 0, link.output
    token = link.stdout.strip().rpartition("token=")[2]
    response = call(
        w,
        "mutation($t: String!, $n: String!) { resetPassword(token: $t, newPassword: $n) { accessToken } }",
        {"t": token, "n": PASSWORD + " reset"},
        rid,
    )
    return response, someone.tenant_id, "reset_password"


def update_profile_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    response = call(
        w, 'mutation { updateProfile(fullName: "Alice A.") { fullName } }', None, rid, w.alice.access_token
    )
    return response, w.alice.tenant_id, "update_profile"


def support_case(w: World, rid: str) -> tuple[httpx.Response, str, str]:
    response = call(
        w,
        'mutation($t: ID!) { enterTenantAsSupport(tenantId: $t, reason: "Ticket 1234") { accessToken } }',
        {"t": w.alice.tenant_id},
        rid,
        w.root,
    )
    return response, w.alice.tenant_id, "support.enter"


CASES: dict[str, Case] = {
    "register": register_case,
    "login": login_case,
    "refreshToken": refresh_case,
    "logout": logout_case,
    "switchTenant": switch_case,
    "createProject": create_project_case,
    "updateProject": update_project_case,
    "deleteProject": delete_project_case,
    "addDocument": add_document_case,
    "deleteDocument": delete_document_case,
    "transcribeAudio": transcribe_case,
    "cancelTranscription": cancel_case,
    "addMember": add_member_case,
    "removeMember": remove_member_case,
    "createTenant": create_tenant_case,
    "updateTenant": update_tenant_case,
    "requestTenantExport": export_case,
    "inviteMember": invite_case,
    "revokeInvitation": revoke_invitation_case,
    "acceptInvitation": accept_invitation_case,
    "changePassword": change_password_case,
    "requestPasswordReset": request_reset_case,
    "resetPassword": reset_password_case,
    "updateProfile": update_profile_case,
    "enterTenantAsSupport": support_case,
}


def test_every_mutation_of_the_schema_has_an_audit_case_here() -> None:
    mutation = build_schema(build_server_schema(Settings()).as_str()).type_map["Mutation"]
    assert isinstance(mutation, GraphQLObjectType)
    missing = sorted(set(mutation.fields) - set(CASES))
    assert not missing, f"mutations without a test that they are audited (add a case): {missing}"


@pytest.mark.parametrize("mutation", list(CASES))
def test_the_mutation_appends_an_audit_row_with_the_request_id_of_its_response(
    mutation: str, world: World, database_url: str
) -> None:
    request_id = f"audit-{mutation}-{uuid.uuid4().hex[:12]}"
    response, tenant_id, action = CASES[mutation](world, request_id)
    data(response)
    assert response.headers["x-request-id"] == request_id, "the response carries the request id it was sent"
    rows = sql(
        database_url,
        "SELECT tenant_id::text, action, actor_id FROM audit_log WHERE request_id = $1",
        request_id,
    )
    assert [(r["tenant_id"], r["action"]) for r in rows] == [(tenant_id, action)], (
        f"{mutation}: exactly one audit row in the tenant, found {[dict(r) for r in rows]}"
    )
    assert rows[0]["actor_id"] is not None, "the row names who acted"


def test_owners_and_admins_read_the_request_ids_in_audit_log(world: World) -> None:
    request_id = f"visible-{uuid.uuid4().hex[:12]}"
    data(
        call(
            world,
            'mutation { createProject(input: {name: "seen"}) { id } }',
            None,
            request_id,
            world.alice.access_token,
        )
    )
    entries = world.client.data(
        "{ auditLog(first: 5) { nodes { action requestId actor { email } } } }",
        token=world.alice.access_token,
    )["auditLog"]["nodes"]
    assert {
        "action": "create_project",
        "requestId": request_id,
        "actor": {"email": world.alice.email},
    } in entries


async def test_the_app_role_cannot_update_or_delete_audit_rows(world: World, database_url: str) -> None:
    tenant = world.alice.tenant_id
    for statement in (
        "UPDATE audit_log SET action = 'forged' WHERE tenant_id = $1",
        "DELETE FROM audit_log WHERE tenant_id = $1",
        "TRUNCATE audit_log",
    ):
        async with as_app(database_url, tenant_id=tenant, user_id=world.alice.user_id) as sql_app:
            assert (
                await sql_app.fetchval(
                    "SELECT count(*) FROM audit_log WHERE tenant_id = $1", uuid.UUID(tenant)
                )
                > 0
            )
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await sql_app.execute(statement, *([uuid.UUID(tenant)] if "$1" in statement else []))
    async with as_app(database_url, tenant_id=tenant, user_id=world.alice.user_id) as sql_app:
        inserted = await sql_app.execute(
            "INSERT INTO audit_log (tenant_id, action) VALUES ($1, 'appended')", uuid.UUID(tenant)
        )
        assert inserted == "INSERT 0 1", "appending is what the app role may do"
