"""Health: is this process able to serve (database reachable, voice model present)?"""

from __future__ import annotations

import asyncio

import strawberry

from iafactory import __version__
from iafactory.resolvers.context import OperationContext, Services
from iafactory.schema.types.common import Health

Info = strawberry.Info[OperationContext]


async def database_ok(services: Services) -> bool:
    try:
        async with asyncio.timeout(2.0):
            async with services.pool.acquire() as connection:
                return bool(await connection.fetchval("SELECT true"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy", reported as false
        return False


def voice_ok(services: Services) -> bool:
    check = services.extras.get("voice_available")
    return bool(check()) if callable(check) else False


async def health(info: Info) -> Health:
    services = info.context.services
    database = await database_ok(services)
    voice = voice_ok(services)
    return Health(
        status="ok" if database else "degraded", database=database, voice=voice, version=__version__
    )
