"""Memory across runs: promoted lessons, the artifact index, staged retrieval.

A run's lessons (written by the engine into the run folder) are promoted into the
workspace's ``memory/`` when the run ends (:mod:`.promote`), with the components they
concern (:mod:`.components`, from cocowiki's index of the repository); every file a step
wrote is recorded with its run, step, attempt and why. Files are the source of truth,
and an SQLite FTS5 index is built from them (:mod:`.store`, :mod:`.index`). Workers get
what :class:`Retriever` finds for their step at the attempt's retrieval stage
(:mod:`.retrieval`). See ``docs/tokimon/memory.md``.
"""

from __future__ import annotations

from .components import ComponentMap
from .embed import Embedder, HashingEmbedder, cosine
from .index import LessonIndex
from .promote import Promotion, pending_runs, promote_run, run_memory, sweep
from .records import ArtifactRecord, MemoryLesson, parse_memory_lesson
from .retrieval import Hit, Retrieval, Retriever, StepQuery, clamp_stage
from .store import DiskStore, InMemoryStore, MemoryStore, SyncReport, UnknownLesson

__all__ = [
    "ArtifactRecord",
    "ComponentMap",
    "DiskStore",
    "Embedder",
    "HashingEmbedder",
    "Hit",
    "InMemoryStore",
    "LessonIndex",
    "MemoryLesson",
    "MemoryStore",
    "Promotion",
    "Retrieval",
    "Retriever",
    "StepQuery",
    "SyncReport",
    "UnknownLesson",
    "clamp_stage",
    "cosine",
    "parse_memory_lesson",
    "pending_runs",
    "promote_run",
    "run_memory",
    "sweep",
]
