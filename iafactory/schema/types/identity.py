"""Tenants, users, members and the signed-in viewer."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import strawberry

from iafactory.auth.principal import Principal, Role
from iafactory.errors import TenantRequired
from iafactory.schema.context import Info
from iafactory.schema.types.common import MemberRole, Plan, TenantStatus


@strawberry.type
class Tenant:
    id: strawberry.ID
    name: str
    slug: str
    region: str
    plan: Plan
    status: TenantStatus
    created_at: datetime

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> Tenant:
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            slug=row["slug"],
            region=row["region"],
            plan=Plan(row["plan"]),
            status=TenantStatus(row["status"]),
            created_at=row["created_at"],
        )


@strawberry.type
class User:
    id: strawberry.ID
    email: str
    full_name: str | None
    created_at: datetime

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> User:
        return cls(
            id=strawberry.ID(str(row["id"])),
            email=row["email"],
            full_name=row["full_name"],
            created_at=row["created_at"],
        )

    @classmethod
    async def load(cls, info: Info, user_id: UUID | None) -> User | None:
        """A user the caller may see, or None (no statement at all for a null id)."""
        row = None if user_id is None else await info.context.loaders.users.load(user_id)
        return cls.from_record(row) if row is not None else None

    @classmethod
    async def load_visible(cls, info: Info, user_id: UUID) -> User:
        """A user that row-level security must show (a visible membership's user)."""
        user = await cls.load(info, user_id)
        if user is None:
            raise LookupError(f"user {user_id} of a visible membership is not visible")
        return user


async def _visible_tenant(info: Info, tenant_id: UUID) -> Tenant:
    row = await info.context.loaders.tenants.load(tenant_id)
    if row is None:
        raise LookupError(f"tenant {tenant_id} of a visible membership is not visible")
    return Tenant.from_record(row)


@strawberry.type
class Member:
    role: MemberRole
    joined_at: datetime
    user_id: strawberry.Private[UUID]

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> Member:
        return cls(role=MemberRole(row["role"]), joined_at=row["joined_at"], user_id=row["user_id"])

    @strawberry.field
    async def user(self, info: Info) -> User:
        return await User.load_visible(info, self.user_id)


@strawberry.type
class Membership:
    role: MemberRole
    tenant_id: strawberry.Private[UUID]

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> Membership:
        return cls(role=MemberRole(row["role"]), tenant_id=row["tenant_id"])

    @strawberry.field
    async def tenant(self, info: Info) -> Tenant:
        return await _visible_tenant(info, self.tenant_id)


@strawberry.type
class Viewer:
    is_superadmin: bool
    token_expires_at: datetime
    user_id: strawberry.Private[UUID]
    # None only for a super-admin signed in without a tenant: tenant and role then answer
    # TENANT_REQUIRED, the rest of the viewer still resolves.
    tenant_id: strawberry.Private[UUID | None]
    member_role: strawberry.Private[Role | None]

    @classmethod
    def of(cls, principal: Principal) -> Viewer:
        return cls(
            is_superadmin=principal.superadmin,
            token_expires_at=principal.expires_at,
            user_id=principal.user_id,
            tenant_id=principal.tenant_id,
            member_role=principal.role,
        )

    @strawberry.field
    def role(self) -> MemberRole:
        if self.member_role is None:
            raise TenantRequired()
        return MemberRole(self.member_role.value)

    @strawberry.field
    async def user(self, info: Info) -> User:
        return await User.load_visible(info, self.user_id)

    @strawberry.field
    async def tenant(self, info: Info) -> Tenant:
        if self.tenant_id is None:
            raise TenantRequired()
        return await _visible_tenant(info, self.tenant_id)

    @strawberry.field
    async def memberships(self, info: Info) -> list[Membership]:
        rows = await info.context.loaders.memberships.load(self.user_id)
        return [Membership.from_record(row) for row in rows]


@strawberry.type
class AuthPayload:
    access_token: str
    refresh_token: str
    token_type: str
    expires_at: datetime
    viewer: Viewer


@strawberry.input
class RegisterInput:
    email: str
    password: str
    full_name: str | None = None
    tenant_name: str | None = strawberry.field(
        default=None, description="Defaults to a workspace named after the user."
    )
    tenant_slug: str | None = None
    region: str | None = "DZ"


@strawberry.input
class LoginInput:
    email: str
    password: str
    tenant_slug: str | None = strawberry.field(
        default=None,
        description="Which of the user's tenants to enter; defaults to the one last signed in to or"
        " switched to, else the oldest membership.",
    )


@strawberry.input
class CreateTenantInput:
    name: str
    slug: str
    region: str | None = "DZ"
    plan: Plan | None = Plan.FREE
    owner_email: str | None = strawberry.field(
        default=None, description="An existing user who becomes OWNER."
    )


@strawberry.input
class UpdateTenantInput:
    name: str | None = None
    plan: Plan | None = None
    status: TenantStatus | None = None
