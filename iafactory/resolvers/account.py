"""Account self-service: profile, password change, and password reset by a one-time link.

A password change or reset ends every session of the user at once (the opening check of
every operation rejects a token whose session ended), then starts the one new session
it answers with.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import strawberry

from iafactory.auth import passwords
from iafactory.auth.principal import Role
from iafactory.auth.tokens import hash_secret, new_secret
from iafactory.db.queries import account as account_queries
from iafactory.db.queries import audit
from iafactory.db.queries import auth as auth_queries
from iafactory.errors import BadUserInput, Forbidden, NotFound, TenantSuspended
from iafactory.mail import Letter, reset_link
from iafactory.resolvers import validation
from iafactory.resolvers.sessions import checked_credentials, default_membership, signed_in, start_session
from iafactory.schema.context import Info
from iafactory.schema.types.identity import AuthPayload, User

NO_SUCH_RESET = "No such password reset: the link is unknown, used or expired."


async def update_profile(info: Info, full_name: str | None = strawberry.UNSET) -> User:
    ctx = info.context
    principal = await ctx.authenticated()
    if full_name is strawberry.UNSET:
        row = await account_queries.own_user(ctx.db, user_id=principal.user_id)
    else:
        name = validation.optional_text(full_name, what="full name", maximum=200)
        row = await account_queries.update_full_name(
            ctx.db, user_id=principal.user_id, full_name=(name.strip() or None) if name else None
        )
        if principal.tenant_id is not None:
            await audit.append(
                ctx.db,
                tenant_id=principal.tenant_id,
                action="update_profile",
                target_type="User",
                target_id=str(principal.user_id),
            )
    assert row is not None
    return User.from_record(row)


async def change_password(info: Info, current_password: str, new_password: str) -> AuthPayload:
    """Ends every earlier session of the caller, this request's tokens included, and
    answers with the new session (same tenant and role)."""
    ctx = info.context
    principal = await ctx.authenticated()
    own = await account_queries.own_user(ctx.db, user_id=principal.user_id)
    assert own is not None
    email = own["email"]
    # A stolen access token must not become a password oracle: the login limits apply.
    record = await checked_credentials(
        ctx.services,
        client_ip=ctx.request.client_ip,
        email=email,
        password=current_password,
        request_id=ctx.request_id,
    )
    if record is None or record.user_id != principal.user_id:
        raise BadUserInput("The current password is wrong.")
    passwords.check_policy(new_password, email=email)
    password_hash = await ctx.services.passwords.hash(new_password)
    await account_queries.change_password(ctx.db, password_hash=password_hash)
    if principal.tenant_id is not None:
        await audit.append(
            ctx.db,
            tenant_id=principal.tenant_id,
            action="change_password",
            target_type="User",
            target_id=str(principal.user_id),
        )
    session = await start_session(
        ctx.db,
        ctx.services,
        user_id=principal.user_id,
        tenant_id=principal.tenant_id,
        role=principal.role,
        superadmin=principal.superadmin,
    )
    return await signed_in(info, session)


async def request_password_reset(info: Info, email: str) -> bool:
    """Always true: whether the address has an account shows neither in the answer nor in its
    timing (the mail, if any, is sent after the answer)."""
    ctx = info.context
    await ctx.services.rate_limits.check_login(ctx.request.client_ip, email)
    try:
        address = validation.email(email)
    except BadUserInput:
        return True
    token = new_secret()
    user_id = await account_queries.create_password_reset(
        ctx.db,
        email=address,
        token_hash=hash_secret(token),
        expires_at=datetime.now(UTC) + timedelta(seconds=ctx.settings.password_reset_ttl),
    )
    if user_id is not None:
        url = reset_link(ctx.settings.public_base_url, token)
        minutes = max(1, ctx.settings.password_reset_ttl // 60)
        letter = Letter(
            to=address,
            subject="IAFactory : nouveau mot de passe / new password",
            body=(
                "Pour choisir un nouveau mot de passe, ouvrez ce lien :\n"
                "To choose a new password, open this link:\n\n"
                f"{url}\n\n"
                f"Valable {minutes} min, une seule fois. / Works once, for {minutes} min.\n"
                "Si vous n'avez rien demandé, ignorez ce message. / If you did not ask, ignore this mail.\n"
            ),
            link=url,
            kind="password_reset",
        )
        ctx.after_commit(lambda: ctx.services.mailer.deliver(letter))
    return True


async def reset_password(info: Info, token: str, new_password: str) -> AuthPayload:
    """Sets the password from a reset link, ends every session of that user, and signs in
    (to the tenant a sign-in without a tenant would choose)."""
    ctx = info.context
    token_hash = hash_secret(token)
    email = await account_queries.password_reset_email(ctx.db, token_hash=token_hash)
    if email is None:
        raise NotFound(NO_SUCH_RESET)
    passwords.check_policy(new_password, email=email)
    password_hash = await ctx.services.passwords.hash(new_password)
    done = await account_queries.reset_password(ctx.db, token_hash=token_hash, password_hash=password_hash)
    if done is None:
        raise NotFound(NO_SUCH_RESET)  # used meanwhile
    user_id, superadmin = done
    membership = default_membership(await auth_queries.user_memberships(ctx.db, user_id=user_id))
    if membership is None and not superadmin:
        raise Forbidden("This account is not a member of any tenant.")
    if membership is not None and membership.status != "ACTIVE":
        raise TenantSuspended()
    session = await start_session(
        ctx.db,
        ctx.services,
        user_id=user_id,
        tenant_id=membership.tenant_id if membership else None,
        role=Role(membership.role) if membership else None,
        superadmin=superadmin,
    )
    return await signed_in(info, session)
