"""The Mutation root. Mutations run one after another in the operation's transaction: if
any of them fails, every write of the operation is rolled back."""

from __future__ import annotations

import strawberry

from iafactory.resolvers import account, identity, invitations, support, voice
from iafactory.resolvers import documents as knowledge
from iafactory.resolvers import projects as project_resolvers
from iafactory.resolvers import tenants as tenant_admin
from iafactory.resolvers import usage as governance
from iafactory.schema.types.governance import TenantExport
from iafactory.schema.types.identity import AuthPayload, Member, Tenant, User
from iafactory.schema.types.invitations import Invitation, InvitationPayload
from iafactory.schema.types.knowledge import Document
from iafactory.schema.types.projects import Project
from iafactory.schema.types.voice import Transcription


@strawberry.type
class Mutation:
    register: AuthPayload = strawberry.field(
        resolver=identity.register,
        description="Creates a user and a new tenant owned by that user, and signs the user in to it.",
    )
    login: AuthPayload = strawberry.field(resolver=identity.login)
    refresh_token: AuthPayload = strawberry.field(
        resolver=identity.refresh_token,
        description="Rotates the refresh token: the old one stops working.",
    )
    logout: bool = strawberry.field(resolver=identity.logout)
    switch_tenant: AuthPayload = strawberry.field(
        resolver=identity.switch_tenant,
        description="New tokens for another tenant that the caller is a member of.",
    )
    create_project: Project = strawberry.field(resolver=project_resolvers.create_project)
    update_project: Project = strawberry.field(resolver=project_resolvers.update_project)
    delete_project: bool = strawberry.field(resolver=project_resolvers.delete_project)
    add_document: Document = strawberry.field(resolver=knowledge.add_document)
    delete_document: bool = strawberry.field(resolver=knowledge.delete_document)
    transcribe_audio: Transcription = strawberry.field(
        resolver=voice.transcribe_audio,
        description="Queues the upload for transcription and returns at once (status QUEUED).",
    )
    cancel_transcription: Transcription = strawberry.field(resolver=voice.cancel_transcription)
    add_member: Member = strawberry.field(
        resolver=identity.add_member,
        description="OWNER or ADMIN: adds an existing user (by email) to the active tenant.",
    )
    remove_member: bool = strawberry.field(resolver=identity.remove_member)
    create_tenant: Tenant = strawberry.field(
        resolver=tenant_admin.create_tenant, description="Super-admin only."
    )
    update_tenant: Tenant = strawberry.field(
        resolver=tenant_admin.update_tenant,
        description="Super-admin only: rename, change plan, suspend or reactivate.",
    )
    request_tenant_export: TenantExport = strawberry.field(
        resolver=governance.request_tenant_export,
        description=(
            "OWNER only: a short-lived link to download the active tenant's complete data"
            " (every table, audio if includeAudio; never password hashes)."
        ),
    )

    # v1.1: the tenant lifecycle.
    invite_member: InvitationPayload = strawberry.field(
        resolver=invitations.invite_member,
        description="OWNER or ADMIN: invites an email address, registered or not, to the active"
        " tenant. The answer is the same whether or not the address has an account (no enumeration)."
        " `acceptUrl` / `token` is the one-time secret to hand to the invitee; it is also e-mailed when"
        " mail is configured. Nobody becomes a member until they accept.",
    )
    revoke_invitation: Invitation = strawberry.field(resolver=invitations.revoke_invitation)
    accept_invitation: AuthPayload = strawberry.field(
        resolver=invitations.accept_invitation,
        description="Accepts an invitation. Signed in (Bearer) as the invited address: joins the tenant."
        " Not signed in: creates the account for the invited address with `password` (BAD_USER_INPUT when"
        " it is missing or weak; CONFLICT when the address already has an account: sign in first)."
        " Returns tokens bound to the invited tenant. An unknown, used, revoked or expired token is"
        " NOT_FOUND.",
    )
    change_password: AuthPayload = strawberry.field(
        resolver=account.change_password,
        description="Signs out every session of the caller: every earlier access and refresh token,"
        " including the ones of this request, stops working at once; the answer carries the new session.",
    )
    request_password_reset: bool = strawberry.field(
        resolver=account.request_password_reset,
        description="Always true, whether or not the address exists; the one-time link is e-mailed when"
        " mail is configured, else written to the server log and available to operators"
        " (iafactory user reset-link).",
    )
    reset_password: AuthPayload = strawberry.field(
        resolver=account.reset_password,
        description="Sets a new password from a reset token and signs out every session of that user.",
    )
    update_profile: User = strawberry.field(resolver=account.update_profile)
    enter_tenant_as_support: AuthPayload = strawberry.field(
        resolver=support.enter_tenant_as_support,
        description="Super-admin only: a short-lived, READ-ONLY session inside any tenant, for support."
        " Every mutation in it is FORBIDDEN; every operation in it is written to the tenant's own audit"
        ' log (action prefix "support.") with the reason. Viewer.role is SUPPORT.',
    )
