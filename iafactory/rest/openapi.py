"""The OpenAPI 3.1 description of `/api/*` (GET /api/openapi.json) and its docs page
(GET /api/docs): Swagger UI, vendored from npm with its licence (scripts/vendor_swagger_ui.sh),
served by this server, so the page needs no internet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from iafactory import __version__

ASSETS = Path(__file__).parent / "static" / "swagger-ui"
ASSETS_PATH = "/api/docs/assets"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): {"$ref": "#/components/responses/Error"} for status in statuses}


def _string(**extra: Any) -> dict[str, Any]:
    return {"type": "string", **extra}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


SCHEMAS: dict[str, Any] = {
    "Error": _object(
        ["detail", "code"], detail=_string(), code=_string(description="The contract's error code")
    ),
    "Tokens": _object(
        ["access_token", "refresh_token", "token_type"],
        access_token=_string(description="JWT (HS256); its `tenant_id` claim names the tenant"),
        refresh_token=_string(),
        token_type=_string(enum=["bearer"]),
    ),
    "User": _object(
        ["id", "email", "full_name"],
        id=_string(format="uuid"),
        email=_string(),
        full_name=_nullable(_string()),
    ),
    "Registered": {"allOf": [_ref("Tokens"), _object(["user"], user=_ref("User"))]},
    "Me": _object(
        ["id", "email", "full_name", "tenant_id", "role", "is_superadmin"],
        id=_string(format="uuid"),
        email=_string(),
        full_name=_nullable(_string()),
        tenant_id=_string(format="uuid"),
        role=_string(enum=["OWNER", "ADMIN", "MEMBER", "SUPPORT"]),
        is_superadmin={"type": "boolean"},
    ),
    "Project": _object(
        ["id", "name", "description", "created_at", "updated_at"],
        id=_string(format="uuid"),
        name=_string(),
        description=_nullable(_string()),
        created_at=_string(format="date-time"),
        updated_at=_string(format="date-time"),
    ),
    "Segment": _object(
        ["start", "end", "text"], start={"type": "number"}, end={"type": "number"}, text=_string()
    ),
    "Transcription": _object(
        ["id", "status", "text", "language", "duration", "segments"],
        id=_string(format="uuid"),
        status=_string(enum=["COMPLETED", "FAILED", "CANCELLED"]),
        text=_nullable(_string()),
        language=_nullable(_string()),
        duration=_nullable({"type": "number"}),
        segments={"type": "array", "items": _ref("Segment")},
        error=_string(description="Why, when FAILED"),
    ),
    "TranscriptionRunning": _object(
        ["id", "status", "progress"],
        id=_string(format="uuid"),
        status=_string(enum=["QUEUED", "RUNNING"]),
        progress={"type": "number", "minimum": 0, "maximum": 1},
    ),
    "Health": {"type": "object", "required": ["status"], "properties": {"status": _string(enum=["ok"])}},
}
PROJECT_BODY = _object([], name=_string(), description=_nullable(_string()))
PROJECT_ID = {"name": "id", "in": "path", "required": True, "schema": _string(format="uuid")}
SECURED: list[dict[str, list[str]]] = [{"bearer": []}]
TRANSCRIBED = {
    "200": _json(_ref("Transcription"), "The job ended within the wait"),
    "202": _json(_ref("TranscriptionRunning"), "Still queued or running: read it again later"),
}


def _body(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"required": True, "content": {media: {"schema": schema}}}


PATHS: dict[str, Any] = {
    "/api/auth/register": {
        "post": {
            "summary": "Create a user and a tenant it owns, and sign in",
            "requestBody": _body(
                _object(
                    ["email", "password"],
                    email=_string(format="email"),
                    password=_string(minLength=10),
                    full_name=_string(),
                    tenant_name=_string(),
                )
            ),
            "responses": {"201": _json(_ref("Registered"), "Created"), **_errors(400, 409, 422, 429)},
        }
    },
    "/api/auth/login": {
        "post": {
            "summary": "Sign in with OAuth2's password form (username = email)",
            "requestBody": _body(
                _object(["username", "password"], username=_string(), password=_string()),
                "application/x-www-form-urlencoded",
            ),
            "responses": {"200": _json(_ref("Tokens")), **_errors(401, 403, 422, 429)},
        }
    },
    "/api/auth/login/json": {
        "post": {
            "summary": "Sign in with a JSON body",
            "requestBody": _body(
                _object(["email", "password"], email=_string(), password=_string(), tenant_slug=_string())
            ),
            "responses": {"200": _json(_ref("Tokens")), **_errors(401, 403, 422, 429)},
        }
    },
    "/api/auth/me": {
        "get": {
            "summary": "The caller (403 `Tenant ID required` for a token without a tenant)",
            "security": SECURED,
            "responses": {"200": _json(_ref("Me")), **_errors(401, 403)},
        }
    },
    "/api/projects": {
        "get": {
            "summary": "The active tenant's projects, newest first",
            "security": SECURED,
            "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 20}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
            ],
            "responses": {
                "200": _json({"type": "array", "items": _ref("Project")}),
                **_errors(401, 403, 422, 429),
            },
        },
        "post": {
            "summary": "Create a project",
            "security": SECURED,
            "requestBody": _body({**PROJECT_BODY, "required": ["name"]}),
            "responses": {"201": _json(_ref("Project"), "Created"), **_errors(400, 401, 403, 422, 429)},
        },
    },
    "/api/projects/{id}": {
        "parameters": [PROJECT_ID],
        "get": {"security": SECURED, "responses": {"200": _json(_ref("Project")), **_errors(401, 403, 404)}},
        "put": {
            "security": SECURED,
            "requestBody": _body(PROJECT_BODY),
            "responses": {"200": _json(_ref("Project")), **_errors(400, 401, 403, 404, 422)},
        },
        "delete": {
            "security": SECURED,
            "responses": {"204": {"description": "Deleted"}, **_errors(401, 403, 404)},
        },
    },
    "/api/voice-agent/transcribe": {
        "post": {
            "summary": "Transcribe an upload, waiting up to `timeout` seconds for the text",
            "security": SECURED,
            "parameters": [
                {
                    "name": "timeout",
                    "in": "query",
                    "schema": {"type": "number", "minimum": 0, "maximum": 600, "default": 120},
                }
            ],
            "requestBody": _body(
                _object(
                    ["file"],
                    file=_string(format="binary"),
                    language=_string(description="ISO 639-1, e.g. fr"),
                    project_id=_string(format="uuid"),
                ),
                "multipart/form-data",
            ),
            "responses": {**TRANSCRIBED, **_errors(400, 401, 403, 404, 413, 415, 422, 429)},
        }
    },
    "/api/voice-agent/transcriptions/{id}": {
        "parameters": [PROJECT_ID],
        "get": {"security": SECURED, "responses": {**TRANSCRIBED, **_errors(401, 403, 404)}},
    },
    "/health": {"get": {"summary": "Liveness", "responses": {"200": _json(_ref("Health"))}}},
    "/api/auth/health": {"get": {"summary": "Auth service", "responses": {"200": _json(_ref("Health"))}}},
    "/api/voice-agent/health": {
        "get": {
            "summary": "Voice agent: whether the model is loadable",
            "responses": {"200": _json(_ref("Health"))},
        }
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "IAFactory REST (seed compatibility)",
            "version": __version__,
            "description": "The earlier REST version's routes, over the same code as /graphql. Every response"
            " carries X-Request-ID; an authenticated one, X-Tenant-Context.",
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": {"Error": _json(_ref("Error"), "An error, with the contract's code")},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


async def openapi_json(_: Request) -> Response:
    return JSONResponse(document())


PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>IAFactory REST API</title>
  <link rel="icon" href="{ASSETS_PATH}/favicon-32x32.png">
  <link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
  <script src="{ASSETS_PATH}/init.js"></script>
</body>
</html>
"""
# No inline script: the page works under a strict Content-Security-Policy.
INIT = (
    'window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true });\n'
)


async def docs(_: Request) -> Response:
    return HTMLResponse(PAGE)


async def init_js(_: Request) -> Response:
    return Response(INIT, media_type="text/javascript")
