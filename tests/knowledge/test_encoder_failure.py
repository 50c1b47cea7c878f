"""A sentence encoder that fails to load (missing or damaged weights) turns semantic search
off for the process, with the reason: hybrid searches are answered by their words, and
SEMANTIC is refused with why, instead of every search failing with INTERNAL."""

from __future__ import annotations

import asyncio

import pytest

from iafactory.knowledge.embedding import Encoder
from iafactory.knowledge.runtime import SemanticSearch, SemanticUnavailable


async def broken_search() -> SemanticSearch:
    loading: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    loading.set_exception(OSError("model.onnx: no such file"))
    return SemanticSearch(reason=None, encoder=Encoder(threads=1), loading=loading)


async def test_a_hybrid_search_falls_back_to_words_when_the_encoder_failed_to_load() -> None:
    semantic = await broken_search()
    assert await semantic.meaning("when is the VAT return due?", mode="HYBRID") is None
    assert not semantic.enabled


async def test_a_semantic_search_is_refused_with_the_reason() -> None:
    semantic = await broken_search()
    with pytest.raises(SemanticUnavailable, match="the sentence encoder failed to load on this server"):
        await semantic.meaning("when is the VAT return due?", mode="SEMANTIC")
    with pytest.raises(SemanticUnavailable, match=r"\(OSError\)"):
        await semantic.meaning("again", mode="SEMANTIC")
