"""Who is calling: the verified claims of an access token, nothing read from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    # A super-admin's read-only support session (enterTenantAsSupport); never a membership.
    SUPPORT = "SUPPORT"


MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: UUID
    tenant_id: UUID | None
    role: Role | None
    superadmin: bool
    expires_at: datetime
    token_id: str
    # The session the token belongs to (`sid`): ending it ends the token at once.
    session_id: UUID | None = None
    issued_at: datetime | None = None

    @property
    def can_manage_tenant(self) -> bool:
        return self.role in MANAGER_ROLES

    @property
    def is_support(self) -> bool:
        """A support session: read-only, every operation audited in the tenant."""
        return self.role is Role.SUPPORT
