"""What bench/semantic.py and bench/semantic_latency.py share: tenants, a search as the server
runs it, realistic passages, the machine's load."""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path

import asyncpg

from bench import filler
from iafactory.db.queries import search as search_queries
from iafactory.db.scope import DbRole, transaction
from iafactory.knowledge import query as search_query
from iafactory.knowledge.embedding import MODEL, Encoder, to_sql

MODES = ("HYBRID", "SEMANTIC", "LEXICAL")


async def new_tenant(connection: asyncpg.Connection, name: str) -> uuid.UUID:
    tenant: uuid.UUID = await connection.fetchval(
        "INSERT INTO tenants (name, slug, plan) VALUES ($1, $1, 'ENTERPRISE') RETURNING id", name
    )
    return tenant


async def search(
    pool: asyncpg.Pool, encoder: Encoder, tenant: uuid.UUID, text: str, mode: str, first: int = 10
) -> list[asyncpg.Record]:
    terms = search_query.parse(text)
    meaning = None
    if mode != "LEXICAL":
        vector = (await asyncio.to_thread(encoder.encode, [text]))[0]
        weight = 0.0 if mode == "SEMANTIC" else search_queries.LEXICAL_WEIGHT
        meaning = search_queries.Meaning(to_sql(vector), MODEL, weight)
    async with transaction(pool, role=DbRole.APP, request_id="bench", tenant_id=tenant) as db:
        return await search_queries.search(
            db,
            tenant_id=tenant,
            words=terms.words,
            fuzzy=terms.fuzzy,
            project_id=None,
            first=first,
            meaning=meaning,
        )


def paragraphs(count: int, seed: int) -> list[tuple[str, str]]:
    """(title, text) passages of real prose (bench/filler.py): two paragraphs each, titled
    with the first words of the first."""
    english, french = filler.paragraphs(limit=max(count, 2000) // 2 + 1, seed=seed)
    pool = english + french
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        first, second = rng.sample(pool, 2)
        out.append((" ".join(first.split()[:6]).rstrip(".,:;"), f"{first} {second}"))
    return out


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
