"""Embeddings for optional semantic search: the :class:`Embedder` seam and a small,
deterministic implementation.

Nothing in memory needs an embedder: lexical search (FTS5, bm25) and the repository's
components carry retrieval. When a store is given one, every lesson gets a vector
(stored in the index, recomputed on reindex) and retrieval adds the cosine similarity to
the query as one more score term. :class:`HashingEmbedder` hashes words (and their
character trigrams) into a fixed number of buckets: no model, no download, the same
vector for the same text on every machine, which is what tests need; a model-backed
embedder implements the same two members.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

_WORD = re.compile(r"[a-z0-9]+")


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors of one fixed dimension; ``name`` identifies the model, so
    an index built with another embedder is re-embedded."""

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


def cosine(left: Sequence[float], right: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0 when either is all zeros)."""
    dot = sum(a * b for a, b in zip(left, right, strict=False))
    norm = math.sqrt(sum(a * a for a in left)) * math.sqrt(sum(b * b for b in right))
    return dot / norm if norm else 0.0


class HashingEmbedder:
    """Feature hashing of words and character trigrams into ``dimension`` buckets, signed
    and L2-normalised (see the module docstring)."""

    def __init__(self, dimension: int = 64) -> None:
        if dimension < 1:
            raise ValueError(f"dimension is 1 or more, got {dimension}")
        self.dimension = dimension

    @property
    def name(self) -> str:
        return f"hashing-{self.dimension}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> list[float]:
        vector = [0.0] * self.dimension
        for word in _WORD.findall(text.lower()):
            features = [word, *(word[i : i + 3] for i in range(max(0, len(word) - 2)))]
            for feature in features:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dimension
                vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vector))
        return [v / norm for v in vector] if norm else vector
