"""SQLModel table models: the typed description of the core tables, and the GraphQL type →
table map that the compiled read path (iafactory/schema/compiled/catalog.py) is built on: its
table names, column names and nullability come from here. Queries do not pass through
SQLModel: they are plain SQL over asyncpg. tests/db/test_models.py keeps these in step with
the catalog.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlmodel import Field, SQLModel


class TenantRow(SQLModel, table=True):
    __tablename__ = "tenants"
    id: UUID = Field(primary_key=True)
    name: str
    slug: str = Field(unique=True)
    region: str = "DZ"
    plan: str = "FREE"
    status: str = "ACTIVE"
    created_at: datetime


class UserRow(SQLModel, table=True):
    __tablename__ = "users"
    id: UUID = Field(primary_key=True)
    email: str = Field(unique=True)
    password_hash: str | None = None
    full_name: str | None = None
    is_superadmin: bool = False
    created_at: datetime
    sessions_revoked_at: datetime | None = None  # tokens without `sid` issued before it are dead


class MembershipRow(SQLModel, table=True):
    __tablename__ = "tenant_memberships"
    tenant_id: UUID = Field(primary_key=True, foreign_key="tenants.id")
    user_id: UUID = Field(primary_key=True, foreign_key="users.id")
    role: str
    created_at: datetime
    last_entered_at: datetime | None = None  # the default tenant at sign-in


class ProjectRow(SQLModel, table=True):
    __tablename__ = "projects"
    tenant_id: UUID = Field(primary_key=True, foreign_key="tenants.id")
    id: UUID = Field(primary_key=True)
    name: str
    description: str | None = None
    created_by: UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime
    updated_at: datetime


class DocumentRow(SQLModel, table=True):
    __tablename__ = "documents"
    tenant_id: UUID = Field(primary_key=True, foreign_key="tenants.id")
    id: UUID = Field(primary_key=True)
    project_id: UUID | None = None
    title: str
    content: str
    source: str = "TEXT"
    language: str | None = None
    size_bytes: int
    created_by: UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime
    indexed_at: datetime | None = None  # semantic search: every passage has its vector
    embedding_bytes: int = 0  # what those vectors take (storage quota)


class TranscriptionRow(SQLModel, table=True):
    __tablename__ = "transcriptions"
    tenant_id: UUID = Field(primary_key=True, foreign_key="tenants.id")
    id: UUID = Field(primary_key=True)
    project_id: UUID | None = None
    audio_id: UUID | None = None
    document_id: UUID | None = None
    filename: str
    language: str | None = None
    detected_language: str | None = None
    add_to_knowledge_base: bool = False
    status: str = "QUEUED"
    progress: float = 0.0
    duration: float | None = None
    text: str | None = None
    segment_count: int = 0
    error: str | None = None
    attempts: int = 0
    worker_id: str | None = None
    heartbeat_at: datetime | None = None
    lease_expires_at: datetime | None = None
    created_by: UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit_log"
    tenant_id: UUID = Field(primary_key=True, foreign_key="tenants.id")
    id: int = Field(primary_key=True)
    at: datetime
    actor_id: UUID | None = None
    action: str
    target_type: str | None = None
    target_id: str | None = None
    request_id: str | None = None
    details: str | None = None


# GraphQL object type → the table its nodes come from.
GRAPHQL_TABLES: dict[str, type[SQLModel]] = {
    "Tenant": TenantRow,
    "User": UserRow,
    "Member": MembershipRow,
    "Membership": MembershipRow,
    "Project": ProjectRow,
    "Document": DocumentRow,
    "Transcription": TranscriptionRow,
    "AuditEntry": AuditRow,
}
