"""Staged retrieval: what memory tells a worker before it starts an attempt.

The stage is a dimension of the attempt (``Dimensions.retrieval_stage``): a first attempt
retrieves at stage 1 and a retry may escalate, which changes its call signature. Each
stage widens the one before:

1. **the step itself**: lessons whose text matches the goal and the step (FTS5, bm25)
   or that concern the step's components (the modules of the files it names), and the
   last recorded change of each of those files;
2. **broader**: adds the tags of stage 1's lessons, the adjacent components (modules
   that reference or are referenced by the step's, from cocowiki's file edges) and
   lessons with the same failure signatures as stage 1's lessons or this step's own
   failed attempts;
3. **targeted expansion across tasks**: components two references away, every lesson
   sharing a tag or a failure signature with stage 2's, from any run and any step.

A lesson's score adds its bm25 text score (plus a fixed amount for matching at all: bm25
is near zero for words most lessons share) to fixed weights for what else it shares with
the step (its components count most, then failure signatures, adjacent components and
tags); an :class:`~.embed.Embedder`, when the retriever has one, adds the cosine
similarity of the lesson to the query. Lessons marked harmful are never candidates.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..trace import bound
from .components import ComponentMap
from .embed import Embedder, cosine
from .index import Candidate, LessonIndex, words
from .records import ArtifactRecord
from .store import MemoryStore

MAX_STAGE = 3
LIMITS = {1: 5, 2: 8, 3: 12}
"""Lessons returned per stage."""
ARTIFACT_LIMITS = {1: 3, 2: 5, 3: 8}
WEIGHTS = {
    "text": 0.5,
    "component": 2.0,
    "failure": 1.5,
    "adjacent": 1.0,
    "tag": 0.5,
    "semantic": 2.0,
}
MAX_TERMS = 6
"""Words of the step searched in lesson text: the rarest ones (see
:meth:`~.index.LessonIndex.selective_terms`)."""
MAX_ADJACENT = 16
GENERIC_TAGS = frozenset({"retry", "FAILED", "PARTIAL", "BLOCKED"})
"""Tags every lesson of a kind carries: they say nothing about what it concerns."""


def clamp_stage(stage: int) -> int:
    """A stage in 1..3 (attempts recorded before memory existed carry 0)."""
    return max(1, min(MAX_STAGE, stage))


@dataclass(frozen=True)
class StepQuery:
    """What retrieval knows about the attempt asking."""

    goal: str
    step_id: str
    text: str
    """The step's title, role and inputs."""
    stage: int = 1
    files: tuple[str, ...] = ()
    """Files the step is known to concern (what earlier steps changed)."""
    failures: tuple[str, ...] = ()
    """Failure signatures of this step's earlier attempts."""


@dataclass(frozen=True)
class Hit:
    """One thing retrieved: a lesson or a file's last recorded change."""

    kind: str
    id: str
    score: float
    reasons: tuple[str, ...]
    title: str = ""
    excerpt: str = ""

    def to_dict(self) -> dict[str, Any]:
        reasons = list(self.reasons)
        return {"kind": self.kind, "id": self.id, "score": self.score, "reasons": reasons}


@dataclass(frozen=True)
class Retrieval:
    """What one retrieval found, at which stage, for which query."""

    stage: int
    query: str
    components: tuple[str, ...]
    adjacent: tuple[str, ...]
    hits: tuple[Hit, ...]
    seconds: float = 0.0

    @property
    def lessons(self) -> list[Hit]:
        return [hit for hit in self.hits if hit.kind == "lesson"]

    def trace_fields(self) -> dict[str, Any]:
        """The fields of the ``memory.retrieve`` trace event."""
        return {
            "stage": self.stage,
            "query": self.query,
            "components": list(self.components),
            "adjacent": list(self.adjacent),
            "hits": [hit.to_dict() for hit in self.hits],
            "ms": round(self.seconds * 1000, 3),
        }

    def brief_section(self) -> str | None:
        """The part of a worker's brief that shows the hits (None when there are none)."""
        if not self.hits:
            return None
        lines = [
            f"From memory (retrieval stage {self.stage}): lessons and file history of "
            "earlier runs. They may not apply here; check before relying on them."
        ]
        for hit in self.hits:
            if hit.kind == "lesson":
                lines.append(f"- Lesson {hit.id} (score {hit.score:.2f}; {'; '.join(hit.reasons)})")
                lines.append(f"  {hit.title}: {hit.excerpt}")
            else:
                lines.append(f"- File {hit.id}: {hit.excerpt}")
        return "\n".join(lines)


@dataclass
class _Scores:
    values: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    reasons: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, n: int, amount: float, reason: str) -> None:
        if amount:
            self.values[n] += amount
            self.reasons[n].append(reason)

    def best(self, limit: int) -> list[int]:
        ranked = sorted(self.values.items(), key=lambda item: (-item[1], item[0]))
        return [n for n, _ in ranked[:limit]]


class Retriever:
    """Runs staged retrieval over a store (see the module docstring)."""

    def __init__(
        self,
        store: MemoryStore,
        components: ComponentMap | None = None,
        *,
        embedder: Embedder | None = None,
    ) -> None:
        self.store = store
        self.components = components or ComponentMap()
        self.embedder = embedder

    def retrieve(self, query: StepQuery) -> Retrieval:
        started = time.perf_counter()
        stage = clamp_stage(query.stage)
        files = self.components.files_in([query.goal, query.text, *query.files])
        components = self.components.components_of(files)
        adjacent = self.components.adjacent(components, hops=1 if stage < 3 else 2)
        adjacent = adjacent[:MAX_ADJACENT]
        with self.store.reading() as index:
            terms = index.selective_terms(words(f"{query.goal} {query.text}"), MAX_TERMS)
            text = index.text_scores(terms, 50 if stage == 1 else 100)
            scores = _Scores()
            for n, score in text.items():
                scores.add(n, WEIGHTS["text"] + score, f"text {score:.2f}")
            for n, count in index.by_components(components, 50).items():
                scores.add(n, WEIGHTS["component"] * count, "component")
            if stage >= 2:
                self._broaden(index, stage, query, scores, adjacent)
            self._semantic(index, scores, query, terms, widen=stage == 3)
            best = scores.best(LIMITS[stage])
            found = index.candidates(best)
            lessons = [self._hit(found[n], scores, n) for n in best]
            wanted = [*files, *self.components.files_of(components)]
            if stage >= 2:
                wanted += self.components.files_of(adjacent)
            changes = index.latest_changes(wanted, ARTIFACT_LIMITS[stage])
        hits = [*lessons, *(_artifact_hit(record, files) for record in changes)]
        return Retrieval(
            stage,
            " ".join(terms),
            tuple(components),
            tuple(adjacent if stage >= 2 else ()),
            tuple(hits),
            time.perf_counter() - started,
        )

    def _broaden(
        self,
        index: LessonIndex,
        stage: int,
        query: StepQuery,
        scores: _Scores,
        adjacent: Sequence[str],
    ) -> None:
        """Stages 2 and 3, on top of stage 1's ``scores``: adjacent components, the failure
        signatures and the (selective) tags of stage 1's best lessons and this step's own
        failures; stage 3 repeats the last two once from the widened set, across tasks."""
        seed = index.candidates(scores.best(LIMITS[1])).values()
        tags = set(index.selective_tags({t for c in seed for t in c.tags} - GENERIC_TAGS))
        failures = {*query.failures, *(c.failure_signature for c in seed)} - {""}
        limit = 100
        for n, count in index.by_components(adjacent, limit).items():
            scores.add(n, WEIGHTS["adjacent"] * count, "adjacent component")
        for n in index.by_failures(failures, limit):
            scores.add(n, WEIGHTS["failure"], "same failure")
        for n, count in index.by_tags(tags, limit).items():
            scores.add(n, WEIGHTS["tag"] * count, "tags")
        if stage < 3:
            return
        wider = index.candidates(scores.best(LIMITS[3])).values()
        more_failures = {c.failure_signature for c in wider} - failures - {""}
        more_tags = set(index.selective_tags({t for c in wider for t in c.tags})) - tags
        for n in index.by_failures(more_failures, limit):
            scores.add(n, WEIGHTS["failure"] / 2, "related failure")
        for n, count in index.by_tags(more_tags - GENERIC_TAGS, limit).items():
            scores.add(n, WEIGHTS["tag"] / 2 * count, "related tags")

    def _semantic(
        self,
        index: LessonIndex,
        scores: _Scores,
        query: StepQuery,
        terms: Sequence[str],
        *,
        widen: bool = False,
    ) -> None:
        if self.embedder is None:
            return
        [wanted] = self.embedder.embed([f"{query.goal}\n{query.text}\n{' '.join(terms)}"])
        everything = widen or not scores.values
        vectors = index.all_vectors() if everything else index.vectors(scores.values)
        for n, vector in vectors.items():
            similarity = cosine(wanted, vector)
            if similarity > 0.1:
                scores.add(n, WEIGHTS["semantic"] * similarity, f"semantic {similarity:.2f}")

    @staticmethod
    def _hit(candidate: Candidate, scores: _Scores, n: int) -> Hit:
        reasons = [f"run {candidate.task_id}", f"step {candidate.step_id}"]
        if candidate.components:
            reasons.append("components " + ", ".join(candidate.components))
        reasons += _merge(scores.reasons[n])
        return Hit(
            "lesson",
            candidate.id,
            round(scores.values[n], 4),
            tuple(reasons),
            candidate.title,
            excerpt(candidate.body),
        )


def _merge(reasons: Iterable[str]) -> list[str]:
    counts: dict[str, int] = defaultdict(int)
    for reason in reasons:
        counts[reason] += 1
    return [r if c == 1 else f"{r} x{c}" for r, c in counts.items()]


def _artifact_hit(record: ArtifactRecord, named: Sequence[str]) -> Hit:
    text = (
        f"last changed by run {record.run_id}, step {record.step_id}, attempt "
        f"{record.attempt} ({record.state}, {record.ended_at}): {bound(record.why, 300)}"
    )
    reason = "named by the step" if record.path in named else "in the step's components"
    return Hit("artifact", record.path, 0.0, (reason,), record.path, text)


_HEADING = re.compile(r"^#+ .*$", re.MULTILINE)


def excerpt(body: str, limit: int = 600) -> str:
    """A lesson body on one line: headings dropped, whitespace collapsed, bounded."""
    text = " ".join(_HEADING.sub("", body).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
