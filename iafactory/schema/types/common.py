"""Types shared by every domain: enums and health."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.type
class Health:
    status: str
    database: bool
    voice: bool
    version: str


@strawberry.enum
class Plan(Enum):
    FREE = "FREE"
    PRO = "PRO"
    ENTERPRISE = "ENTERPRISE"


@strawberry.enum
class TenantStatus(Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


@strawberry.enum
class MemberRole(Enum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    SUPPORT = strawberry.enum_value(
        "SUPPORT", description="Only in a super-admin's support session; never a stored membership."
    )
