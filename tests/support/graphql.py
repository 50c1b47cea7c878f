"""A GraphQL client over real HTTP, and a tenant registered through it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"


@dataclass
class GraphQLClient:
    """Posts GraphQL over real HTTP. `execute` returns the JSON body; `post` the response."""

    url: str
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))
    # None: httpx's `*/*`, answered as application/json (200 for every well-formed request).
    accept: str | None = None

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if self.accept is not None:
            all_headers.setdefault("Accept", self.accept)
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        body = {"query": query, "variables": variables or {}}
        return self.http.post(self.url, json=body, headers=all_headers)

    def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = self.post(query, variables, token=token).json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> Any:
        """The data of a request that must succeed (fails the test with the errors otherwise)."""
        body = self.execute(query, variables, token=token)
        assert not body.get("errors"), body["errors"]
        return body["data"]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


@dataclass
class Account:
    """A user signed in to the tenant it just registered (as OWNER)."""

    email: str
    password: str
    user_id: str
    tenant_id: str
    tenant_slug: str
    access_token: str
    refresh_token: str


REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    accessToken refreshToken
    viewer { user { id } tenant { id slug } }
  }
}
"""


def register(client: GraphQLClient, *, name: str = "tenant") -> Account:
    """A new user and tenant (unique email and slug built from `name`), signed in."""
    suffix = uuid.uuid4().hex[:10]
    email = f"{name}-{suffix}@example.test"
    data = client.data(
        REGISTER,
        {
            "input": {
                "email": email,
                "password": PASSWORD,
                "tenantName": f"{name} {suffix}",
                "tenantSlug": f"{name}-{suffix}",
            }
        },
    )["register"]
    return Account(
        email=email,
        password=PASSWORD,
        user_id=data["viewer"]["user"]["id"],
        tenant_id=data["viewer"]["tenant"]["id"],
        tenant_slug=data["viewer"]["tenant"]["slug"],
        access_token=data["accessToken"],
        refresh_token=data["refreshToken"],
    )
