"""Support sessions: a super-admin's short, read-only look inside one tenant.

The token it answers with is bound to the tenant and to a support session (15 minutes at
most, no refresh token); every mutation in it is FORBIDDEN and every operation is written to
the tenant's audit log with the reason (schema/context.py), so the tenant's owners see who
looked and why. It works on a suspended tenant too, read-only.
"""

from __future__ import annotations

import strawberry

from iafactory.auth.principal import Role
from iafactory.db.queries import audit
from iafactory.db.queries import support as support_queries
from iafactory.errors import BadUserInput, NotFound
from iafactory.resolvers import validation
from iafactory.resolvers.sessions import Session, access, signed_in
from iafactory.schema.context import Info
from iafactory.schema.types.identity import AuthPayload

SUPPORT_SESSION_SECONDS = 15 * 60


async def enter_tenant_as_support(info: Info, tenant_id: strawberry.ID, reason: str) -> AuthPayload:
    ctx = info.context
    scope = await ctx.superadmin()
    principal = await ctx.authenticated()
    target = validation.parse_id(tenant_id, what="tenantId")
    why = " ".join(reason.split())
    if not 3 <= len(why) <= 500:
        raise BadUserInput("Give the reason for this support session (3 to 500 characters).")
    async with scope.elevated() as db:
        row = await support_queries.open_session(
            db, tenant_id=target, user_id=principal.user_id, reason=why, ttl_seconds=SUPPORT_SESSION_SECONDS
        )
        if row is None:
            raise NotFound("No such tenant.")
        await audit.append(
            db,
            tenant_id=target,
            action="support.enter",
            target_type="SupportSession",
            target_id=str(row["id"]),
            details={"reason": why},
        )
        await audit.append_superadmin(
            db,
            action="enter_tenant_as_support",
            target_type="Tenant",
            target_id=str(target),
            details={"reason": why, "session": str(row["id"])},
        )
    access_token, support = access(
        ctx.services.tokens,
        user_id=principal.user_id,
        tenant_id=target,
        role=Role.SUPPORT,
        superadmin=True,
        session_id=row["id"],
        ttl=SUPPORT_SESSION_SECONDS,
    )
    # Not refreshable: no refresh token exists for a support session (the field is empty).
    return await signed_in(info, Session(access_token, "", support.expires_at, support))
