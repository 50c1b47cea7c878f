"""Health: is this process able to serve (database reachable, voice model present)?"""

from __future__ import annotations

import asyncio

import asyncpg

from iafactory import __version__
from iafactory.schema.context import Info
from iafactory.schema.types.common import Health


async def database_ok(pool: asyncpg.Pool) -> bool:
    try:
        async with asyncio.timeout(2.0), pool.acquire() as connection:
            return bool(await connection.fetchval("SELECT true"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy", reported as false
        return False


async def health(info: Info) -> Health:
    services = info.context.services
    database = await database_ok(services.pool)
    return Health(
        status="ok" if database else "degraded",
        database=database,
        voice=services.voice_available(),
        version=__version__,
    )
