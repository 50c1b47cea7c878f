"""Invitations with consent: a manager invites an address, its owner accepts (or not).

Nobody becomes a member without accepting. The inviter's answer is the same whether or not
the address has an account (no enumeration); the token is one-time, stored as its SHA-256,
bound to the address, and expires (IAFACTORY_INVITATION_TTL, 7 days).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import strawberry

from iafactory.auth import passwords
from iafactory.auth.principal import Role
from iafactory.auth.tokens import hash_secret, new_secret
from iafactory.db.queries import audit
from iafactory.db.queries import invitations as invitation_queries
from iafactory.errors import BadUserInput, Conflict, Forbidden, NotFound, TenantSuspended
from iafactory.mail import Letter, accept_link
from iafactory.resolvers import validation
from iafactory.resolvers.sessions import signed_in, start_session
from iafactory.schema.context import Info
from iafactory.schema.pages import Page, PageRequest, page_of
from iafactory.schema.types.common import MemberRole
from iafactory.schema.types.identity import AuthPayload
from iafactory.schema.types.invitations import Invitation, InvitationPayload, InvitationStatus

NO_SUCH_INVITATION = "No such invitation: the link is unknown, used, revoked or expired."


async def invite_member(
    info: Info, email: str, role: MemberRole | None = MemberRole.MEMBER
) -> InvitationPayload:
    ctx = info.context
    principal, tenant_id = await ctx.manager()
    role = role or MemberRole.MEMBER
    if role is MemberRole.SUPPORT:
        raise BadUserInput("SUPPORT is not a membership role.")
    if role is MemberRole.OWNER and principal.role is not Role.OWNER:
        raise Forbidden("Only an OWNER may invite an OWNER.")
    address = validation.email(email)
    if await invitation_queries.is_member(ctx.db, tenant_id=tenant_id, email=address):
        raise Conflict("This address is already a member of this tenant.")
    token = new_secret()
    row = await invitation_queries.create(
        ctx.db,
        tenant_id=tenant_id,
        email=address,
        role=role.value,
        token_hash=hash_secret(token),
        invited_by=principal.user_id,
        expires_at=datetime.now(UTC) + timedelta(seconds=ctx.settings.invitation_ttl),
    )
    address = row["email"]  # as the database normalises it
    await audit.append(
        ctx.db,
        tenant_id=tenant_id,
        action="invite_member",
        target_type="Invitation",
        target_id=str(row["id"]),
        details={"email": address, "role": role.value},
    )
    url = accept_link(ctx.settings.public_base_url, token)
    letter = Letter(
        to=address,
        subject="Invitation IAFactory",
        body=(
            "Vous êtes invité(e) à rejoindre un espace de travail IAFactory.\n"
            "You are invited to join an IAFactory workspace.\n\n"
            f"{url}\n\n"
            f"Ce lien est valable {ctx.settings.invitation_ttl // 86400 or 1} jour(s), une seule fois."
            f" / This link works once, for {ctx.settings.invitation_ttl // 86400 or 1} day(s).\n"
        ),
        link=url,
        kind="invitation",
    )
    ctx.after_commit(lambda: ctx.services.mailer.deliver(letter))
    return InvitationPayload(invitation=Invitation.from_record(row), token=token, accept_url=url)


async def invitations(
    info: Info, first: int | None = 50, after: str | None = None, status: InvitationStatus | None = None
) -> Page[Invitation]:
    ctx = info.context
    _, tenant_id = await ctx.manager()
    request = PageRequest.of(first, after, maximum=ctx.settings.max_page_size, default=50)
    wanted = status.value if status is not None else None
    rows = await invitation_queries.page(
        ctx.db, tenant_id=tenant_id, status=wanted, first=request.first, after=request.after
    )

    async def count() -> int:
        return await invitation_queries.count(ctx.db, tenant_id=tenant_id, status=wanted)

    return page_of(rows, request.first, Invitation.from_record, count)


async def revoke_invitation(info: Info, id: strawberry.ID) -> Invitation:
    """A pending (or expired) invitation is revoked; a revoked one is returned as it is; an
    accepted one is a CONFLICT (remove the member instead)."""
    ctx = info.context
    _, tenant_id = await ctx.manager()
    invitation_id = validation.parse_id(id)
    row = await invitation_queries.revoke(ctx.db, tenant_id=tenant_id, invitation_id=invitation_id)
    if row is None:
        raise NotFound("No such invitation.")
    if row["status"] == InvitationStatus.ACCEPTED.value:
        raise Conflict("This invitation was accepted: remove the member instead.")
    await audit.append(
        ctx.db,
        tenant_id=tenant_id,
        action="revoke_invitation",
        target_type="Invitation",
        target_id=str(invitation_id),
        details={"email": row["email"]},
    )
    return Invitation.from_record(row)


async def accept_invitation(
    info: Info, token: str, password: str | None = None, full_name: str | None = None
) -> AuthPayload:
    """Signed in as the invited address: joins. Anonymous: creates the invited address's
    account with `password`, then joins. Either way, signs in to the invited tenant."""
    ctx = info.context
    token_hash = hash_secret(token)
    invitation = await invitation_queries.pending(ctx.db, token_hash=token_hash)
    if invitation is None:
        raise NotFound(NO_SUCH_INVITATION)
    if invitation.tenant_status != "ACTIVE":
        raise TenantSuspended()
    if ctx.request.principal is None and ctx.request.auth_error is None:
        return await _accept_with_a_new_account(info, invitation, token_hash, password, full_name)
    principal = await ctx.authenticated()
    if principal.is_support:
        raise Forbidden("A support session cannot accept invitations.")
    joined = await invitation_queries.accept(ctx.db, token_hash=token_hash)
    if joined is None:
        raise NotFound(NO_SUCH_INVITATION)  # accepted or revoked meanwhile
    tenant_id, role = joined
    session = await start_session(
        ctx.db,
        ctx.services,
        user_id=principal.user_id,
        tenant_id=tenant_id,
        role=Role(role),
        superadmin=principal.superadmin,
    )
    return await signed_in(info, session)


async def _accept_with_a_new_account(
    info: Info,
    invitation: invitation_queries.PendingInvitation,
    token_hash: bytes,
    password: str | None,
    full_name: str | None,
) -> AuthPayload:
    ctx = info.context
    if invitation.has_account:
        raise Conflict("This address already has an account: sign in first, then accept the invitation.")
    await ctx.services.rate_limits.check_register(ctx.request.client_ip)
    if not password:
        raise BadUserInput("A password is needed to create the account.")
    passwords.check_policy(password, email=invitation.email)
    name = validation.optional_text(full_name, what="full name", maximum=200)
    # argon2 in a thread: other tenants' requests keep flowing meanwhile.
    password_hash = await ctx.services.passwords.hash(password)
    joined = await invitation_queries.accept_as_new_user(
        ctx.db, token_hash=token_hash, password_hash=password_hash, full_name=name.strip() if name else None
    )
    if joined is None:
        raise NotFound(NO_SUCH_INVITATION)  # accepted or revoked meanwhile
    user_id, tenant_id, role = joined
    session = await start_session(
        ctx.db, ctx.services, user_id=user_id, tenant_id=tenant_id, role=Role(role), superadmin=False
    )
    return await signed_in(info, session)
