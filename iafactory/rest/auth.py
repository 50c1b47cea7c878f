"""`/api/auth/*`: register, the two logins (JSON and the OAuth2 password form), me, health."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from iafactory.rest.adapter import endpoint, graphql, json_body, text

REGISTER = """mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken refreshToken viewer { user { id email fullName } } }
}"""
LOGIN = "mutation Login($input: LoginInput!) { login(input: $input) { accessToken refreshToken } }"
ME = "query Me { me { user { id email fullName } tenant { id } role isSuperadmin } }"
TOKEN_TYPE = "bearer"  # noqa: S105 - OAuth2's token type, as the seed answered it


def tokens(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "access_token": payload["accessToken"],
        "refresh_token": payload["refreshToken"],
        "token_type": TOKEN_TYPE,
    }


@endpoint
async def register(request: Request) -> Response:
    body = await json_body(request)
    registration = {
        "email": text(body, "email"),
        "password": text(body, "password"),
        "fullName": text(body, "full_name", required=False),
        "tenantName": text(body, "tenant_name", required=False),
    }
    payload = (await graphql(request, REGISTER, {"input": registration}))["register"]
    user = payload["viewer"]["user"]
    return JSONResponse(
        {
            "user": {"id": user["id"], "email": user["email"], "full_name": user["fullName"]},
            **tokens(payload),
        },
        status_code=201,
    )


async def _login(request: Request, email: str | None, password: str | None, slug: str | None) -> Response:
    credentials = {"email": email, "password": password, "tenantSlug": slug}
    return JSONResponse(tokens((await graphql(request, LOGIN, {"input": credentials}))["login"]))


@endpoint
async def login_form(request: Request) -> Response:
    """OAuth2's password flow: `username` (the email) and `password`, form-encoded."""
    async with request.form(max_files=0, max_fields=10) as form:
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return await _login(request, text(fields, "username"), text(fields, "password"), None)


@endpoint
async def login_json(request: Request) -> Response:
    body = await json_body(request)
    return await _login(
        request, text(body, "email"), text(body, "password"), text(body, "tenant_slug", required=False)
    )


@endpoint
async def me(request: Request) -> Response:
    viewer = (await graphql(request, ME))["me"]
    user = viewer["user"]
    return JSONResponse(
        {
            "id": user["id"],
            "email": user["email"],
            "full_name": user["fullName"],
            "tenant_id": viewer["tenant"]["id"],
            "role": viewer["role"],
            "is_superadmin": viewer["isSuperadmin"],
        }
    )


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok", "service": "auth"})
