"""The Query root: each field names its resolver; the resolvers hold the logic."""

from __future__ import annotations

import strawberry

from iafactory.resolvers import documents as knowledge
from iafactory.resolvers import identity, invitations, system, voice
from iafactory.resolvers import projects as project_resolvers
from iafactory.resolvers import tenants as tenant_admin
from iafactory.resolvers import usage as governance
from iafactory.schema.pages import Page
from iafactory.schema.types.common import Health
from iafactory.schema.types.governance import AuditPage, MonthlyUsage, TenantUsage
from iafactory.schema.types.identity import Member, Tenant, Viewer
from iafactory.schema.types.invitations import Invitation
from iafactory.schema.types.knowledge import Document, SearchHit
from iafactory.schema.types.projects import Project
from iafactory.schema.types.voice import Transcription


@strawberry.type
class Query:
    health: Health = strawberry.field(resolver=system.health)
    me: Viewer = strawberry.field(
        resolver=identity.me,
        description="The caller: user, active tenant, role. UNAUTHENTICATED without a valid token.",
    )
    projects: Page[Project] = strawberry.field(
        resolver=project_resolvers.projects, description="Projects of the active tenant, newest first."
    )
    project: Project | None = strawberry.field(
        resolver=project_resolvers.project,
        description="null when the id is not a project of the active tenant.",
    )
    documents: Page[Document] = strawberry.field(resolver=knowledge.documents)
    document: Document | None = strawberry.field(resolver=knowledge.document)
    search_knowledge: list[SearchHit] = strawberry.field(
        resolver=knowledge.search_knowledge,
        description="Search over the active tenant's knowledge base, best first: by meaning and"
        " words (HYBRID, the default, across French and English), or by `mode`.",
    )
    transcription: Transcription | None = strawberry.field(resolver=voice.transcription)
    transcriptions: Page[Transcription] = strawberry.field(resolver=voice.transcriptions)
    members: list[Member] = strawberry.field(
        resolver=identity.members, description="Members of the active tenant."
    )
    usage: TenantUsage = strawberry.field(
        resolver=governance.usage, description="The active tenant's consumption against its plan."
    )
    audit_log: AuditPage = strawberry.field(
        resolver=governance.audit_log, description="OWNER or ADMIN of the active tenant."
    )
    tenants: Page[Tenant] = strawberry.field(
        resolver=tenant_admin.tenants, description="Super-admin only: every tenant."
    )
    invitations: Page[Invitation] = strawberry.field(
        resolver=invitations.invitations,
        description="OWNER or ADMIN: the active tenant's invitations, newest first.",
    )
    billing_usage: list[MonthlyUsage] = strawberry.field(
        resolver=tenant_admin.billing_usage,
        description="Super-admin only: each tenant's usage record for a month (YYYY-MM; default: now).",
    )
