"""SQLModel table models: the typed description of the core tables, and the explicit
GraphQL type → table mapping that a compiler of hot read paths (one SQL statement returning
nested JSON) can be built on. Hot queries do not pass through SQLModel: they are plain SQL
in db/queries/ over asyncpg. tests/db/test_models.py keeps these in step with the catalog.
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


class MembershipRow(SQLModel, table=True):
    __tablename__ = "tenant_memberships"
    tenant_id: UUID = Field(primary_key=True, foreign_key="tenants.id")
    user_id: UUID = Field(primary_key=True, foreign_key="users.id")
    role: str
    created_at: datetime


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


# GraphQL object type → the table its nodes come from (hot-path compiler groundwork).
GRAPHQL_TABLES: dict[str, type[SQLModel]] = {
    "Tenant": TenantRow,
    "User": UserRow,
    "Member": MembershipRow,
    "Membership": MembershipRow,
    "Project": ProjectRow,
    "Document": DocumentRow,
    "AuditEntry": AuditRow,
}
