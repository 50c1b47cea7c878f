"""The Mutation root. Mutations run one after another in the operation's transaction: if
any of them fails, every write of the operation is rolled back."""

from __future__ import annotations

import strawberry

from iafactory.resolvers import documents as knowledge
from iafactory.resolvers import identity, voice
from iafactory.resolvers import projects as project_resolvers
from iafactory.resolvers import tenants as tenant_admin
from iafactory.resolvers import usage as governance
from iafactory.schema.types.governance import TenantExport
from iafactory.schema.types.identity import AuthPayload, Member, Tenant
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
