"""Signing up, signing in, tokens, and the members of the active tenant."""

from __future__ import annotations

import strawberry

from iafactory.auth import passwords
from iafactory.auth.principal import Principal, Role
from iafactory.auth.tokens import hash_refresh_token, new_refresh_token
from iafactory.db.queries import audit
from iafactory.db.queries import auth as auth_queries
from iafactory.db.queries import members as member_queries
from iafactory.db.scope import DbRole, transaction
from iafactory.errors import (
    BadUserInput,
    Conflict,
    Forbidden,
    NotFound,
    TenantSuspended,
    Unauthenticated,
)
from iafactory.resolvers import validation
from iafactory.resolvers.sessions import (
    Session,
    access,
    checked_credentials,
    default_membership,
    refresh_expiry,
    signed_in,
    start_session,
)
from iafactory.resolvers.validation import parse_id
from iafactory.schema.context import Info
from iafactory.schema.types.common import MemberRole
from iafactory.schema.types.identity import AuthPayload, LoginInput, Member, RegisterInput, Viewer

BAD_CREDENTIALS = "Invalid email or password."


async def me(info: Info) -> Viewer:
    return Viewer.of(await info.context.authenticated())


async def register(info: Info, input: RegisterInput) -> AuthPayload:
    ctx = info.context
    await ctx.services.rate_limits.check_register(ctx.request.client_ip)
    email = validation.email(input.email)
    passwords.check_policy(input.password, email=email)
    full_name = validation.optional_text(input.full_name, what="full name", maximum=200)
    default_name = f"{(full_name or email.split('@')[0]).strip()}'s workspace"
    tenant_name = validation.name(input.tenant_name or default_name, what="tenant name")
    slug = validation.slug(input.tenant_slug) if input.tenant_slug else validation.slug_from(tenant_name)
    # argon2 takes ~0.25 s of CPU: in a thread, a bounded number at a time (PasswordWork).
    password_hash = await ctx.services.passwords.hash(input.password)
    user_id, tenant_id = await auth_queries.register(
        ctx.db,
        email=email,
        password_hash=password_hash,
        full_name=full_name.strip() if full_name else None,
        tenant_name=tenant_name,
        tenant_slug=slug,
        region=validation.region(input.region),
    )
    session = await start_session(
        ctx.db, ctx.services, user_id=user_id, tenant_id=tenant_id, role=Role.OWNER, superadmin=False
    )
    return await signed_in(info, session)


async def login(info: Info, input: LoginInput) -> AuthPayload:
    ctx = info.context
    # Rate limits first: a guesser gets RATE_LIMITED, right or wrong (sessions.py).
    record = await checked_credentials(
        ctx.services,
        client_ip=ctx.request.client_ip,
        email=input.email,
        password=input.password,
        request_id=ctx.request_id,
    )
    if record is None:
        raise Unauthenticated(BAD_CREDENTIALS)
    memberships = await auth_queries.user_memberships(ctx.db, user_id=record.user_id)
    if input.tenant_slug is not None:
        membership = next((m for m in memberships if m.slug == input.tenant_slug), None)
        if membership is None:
            raise Forbidden("You are not a member of this tenant.")
    else:
        membership = default_membership(memberships)
    if membership is None and not record.is_superadmin:
        raise Forbidden("This account is not a member of any tenant.")
    if membership is not None and membership.status != "ACTIVE":
        raise TenantSuspended()
    session = await start_session(
        ctx.db,
        ctx.services,
        user_id=record.user_id,
        tenant_id=membership.tenant_id if membership else None,
        role=Role(membership.role) if membership else None,
        superadmin=record.is_superadmin,
    )
    payload = await signed_in(info, session)
    if membership is not None:
        await audit.append(
            ctx.db,
            tenant_id=membership.tenant_id,
            action="login",
            target_type="User",
            target_id=str(record.user_id),
        )
    return payload


async def refresh_token(info: Info, refresh_token: str) -> AuthPayload:
    ctx = info.context
    await ctx.services.rate_limits.check_refresh(ctx.request.client_ip)
    services = ctx.services
    new_token = new_refresh_token()
    # Its own transaction, committed whatever happens next: when the token is a replay,
    # the revocation of its family must survive the UNAUTHENTICATED we answer with.
    async with transaction(services.pool, role=DbRole.APP, request_id=ctx.request_id) as db:
        rotation = await auth_queries.rotate_refresh_token(
            db,
            token_hash=hash_refresh_token(refresh_token),
            new_hash=hash_refresh_token(new_token),
            expires_at=refresh_expiry(services.settings),
        )
    if rotation.outcome == "suspended":
        raise TenantSuspended()
    if rotation.outcome != "ok" or rotation.user_id is None:
        raise Unauthenticated("Invalid or expired refresh token.")
    access_token, principal = access(
        services.tokens,
        user_id=rotation.user_id,
        tenant_id=rotation.tenant_id,
        role=Role(rotation.role) if rotation.role else None,
        superadmin=rotation.is_superadmin,
        session_id=rotation.family_id,
    )
    payload = await signed_in(info, Session(access_token, new_token, principal.expires_at, principal))
    if rotation.tenant_id is not None:
        await audit.append(
            ctx.db,
            tenant_id=rotation.tenant_id,
            action="refresh_token",
            target_type="User",
            target_id=str(rotation.user_id),
        )
    return payload


async def logout(info: Info, refresh_token: str) -> bool:
    return await auth_queries.revoke_refresh_family(
        info.context.db, token_hash=hash_refresh_token(refresh_token)
    )


async def switch_tenant(info: Info, tenant_id: strawberry.ID) -> AuthPayload:
    ctx = info.context
    principal = await ctx.authenticated()
    target = parse_id(tenant_id, what="tenantId")
    memberships = await auth_queries.user_memberships(ctx.db, user_id=principal.user_id)
    membership = next((m for m in memberships if m.tenant_id == target), None)
    if membership is None:
        raise NotFound()
    if membership.status != "ACTIVE":
        raise TenantSuspended()
    session = await start_session(
        ctx.db,
        ctx.services,
        user_id=principal.user_id,
        tenant_id=target,
        role=Role(membership.role),
        superadmin=principal.superadmin,
    )
    payload = await signed_in(info, session)
    await audit.append(
        ctx.db, tenant_id=target, action="switch_tenant", target_type="Tenant", target_id=str(target)
    )
    return payload


async def members(info: Info) -> list[Member]:
    _, tenant_id = await info.context.tenant()
    rows = await member_queries.members(info.context.db, tenant_id=tenant_id)
    return [Member.from_record(row) for row in rows]


async def add_member(info: Info, email: str, role: MemberRole | None = MemberRole.MEMBER) -> Member:
    role = role or MemberRole.MEMBER
    ctx = info.context
    principal, tenant_id = await ctx.manager()
    if not ctx.settings.direct_member_add:
        raise Forbidden(
            "Adding members directly is turned off on this server: invite them with inviteMember,"
            " they join once they accept."
        )
    _only_owners_touch_owners(principal, _member_role(role))
    user_id = await member_queries.add_by_email(ctx.db, email=validation.email(email), role=role.value)
    row = await member_queries.membership(ctx.db, tenant_id=tenant_id, user_id=user_id)
    assert row is not None
    await audit.append(
        ctx.db,
        tenant_id=tenant_id,
        action="add_member",
        target_type="User",
        target_id=str(user_id),
        details={"role": role.value},
    )
    return Member.from_record(row)


async def remove_member(info: Info, user_id: strawberry.ID) -> bool:
    ctx = info.context
    principal, tenant_id = await ctx.manager()
    target = parse_id(user_id, what="userId")
    existing = await member_queries.membership(ctx.db, tenant_id=tenant_id, user_id=target)
    if existing is None:
        raise NotFound()
    _only_owners_touch_owners(principal, existing["role"])
    if existing["role"] == Role.OWNER and await member_queries.count_owners(ctx.db, tenant_id=tenant_id) <= 1:
        raise Conflict("A tenant keeps at least one OWNER.")
    await member_queries.remove(ctx.db, tenant_id=tenant_id, user_id=target)
    await audit.append(
        ctx.db, tenant_id=tenant_id, action="remove_member", target_type="User", target_id=str(target)
    )
    return True


def _member_role(role: MemberRole) -> str:
    """A role a membership may hold (SUPPORT exists only in support sessions)."""
    if role is MemberRole.SUPPORT:
        raise BadUserInput("SUPPORT is not a membership role.")
    return str(role.value)


def _only_owners_touch_owners(principal: Principal, role: str) -> None:
    if role == Role.OWNER and principal.role != Role.OWNER:
        raise Forbidden("Only an OWNER may grant or remove the OWNER role.")
