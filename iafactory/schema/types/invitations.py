"""Invitations: a one-time link to join the active tenant, accepted by its invitee."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

import asyncpg
import strawberry

from iafactory.schema.context import Info
from iafactory.schema.types.common import MemberRole
from iafactory.schema.types.identity import User


@strawberry.enum
class InvitationStatus(Enum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


@strawberry.type
class Invitation:
    id: strawberry.ID
    email: str
    role: MemberRole
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime
    invited_by_id: strawberry.Private[UUID | None]

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> Invitation:
        return cls(
            id=strawberry.ID(str(row["id"])),
            email=row["email"],
            role=MemberRole(row["role"]),
            status=InvitationStatus(row["status"]),
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            invited_by_id=row["invited_by"],
        )

    @strawberry.field
    async def invited_by(self, info: Info) -> User | None:
        """null once the inviter has left the tenant."""
        return await User.load(info, self.invited_by_id)


@strawberry.type
class InvitationPayload:
    invitation: Invitation
    token: str = strawberry.field(description="The one-time secret of the invitation (also in acceptUrl).")
    accept_url: str = strawberry.field(description="The link to hand to the invitee.")
