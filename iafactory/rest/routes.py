"""The `/api/*` routes (CONTRACT.md, "Seed REST compatibility"), for app.py to mount."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from iafactory.rest import auth, openapi, projects, voice


def api_routes() -> list[BaseRoute]:
    return [
        Route("/api/auth/register", auth.register, methods=["POST"]),
        Route("/api/auth/login", auth.login_form, methods=["POST"]),
        Route("/api/auth/login/json", auth.login_json, methods=["POST"]),
        Route("/api/auth/me", auth.me, methods=["GET"]),
        Route("/api/auth/health", auth.health, methods=["GET"]),
        Route("/api/projects", projects.list_projects, methods=["GET"]),
        Route("/api/projects", projects.create_project, methods=["POST"]),
        Route("/api/projects/{id}", projects.get_project, methods=["GET"]),
        Route("/api/projects/{id}", projects.update_project, methods=["PUT"]),
        Route("/api/projects/{id}", projects.delete_project, methods=["DELETE"]),
        Route("/api/voice-agent/transcribe", voice.transcribe, methods=["POST"]),
        Route("/api/voice-agent/transcriptions/{id}", voice.transcription, methods=["GET"]),
        Route("/api/voice-agent/health", voice.health, methods=["GET"]),
        Route("/api/openapi.json", openapi.openapi_json, methods=["GET"]),
        Route("/api/docs", openapi.docs, methods=["GET"]),
        Route(f"{openapi.ASSETS_PATH}/init.js", openapi.init_js, methods=["GET"]),
        Mount(openapi.ASSETS_PATH, StaticFiles(directory=openapi.ASSETS)),
    ]
