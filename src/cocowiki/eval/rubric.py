"""Rubrics built from a repository's own documentation, and a wiki judged against them.

In the style of CodeWikiBench: the judge model reads the reference documentation (a docs
folder, the README) and writes a hierarchical rubric, topics of requirements, as JSON.
The rubric is frozen in a cache file keyed by the reference text and the judge, so that
two wikis (or the same wiki after a change) are judged on the same rubric and a second
run does not ask for it again. Each leaf requirement is then judged against the wiki's
pages most related to it: ``covered`` (1), ``partial`` (0.5) or ``not`` (0); scores are
averaged bottom-up into a score per topic and for the repository. Several judges, or
one judge several times (``repeats``), give the spread.

The judge's replies are parsed and checked; a reply that is not the JSON asked for is
counted as unjudged, never guessed.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from tiffany.atomic import write_atomic
from tiffany.models import Message, ModelClient

from .measures import WikiPage

#: Characters of reference documentation shown to the judge that writes the rubric.
MAX_REFERENCE_CHARS = 60_000
#: Characters of wiki shown to the judge per requirement (the most related pages).
MAX_EVIDENCE_CHARS = 24_000
SCORES = {"covered": 1.0, "partial": 0.5, "not": 0.0}

RUBRIC_SYSTEM = """\
You write evaluation rubrics for documentation of a software repository. From the \
repository's own documentation below, list what a good guide to the code must explain, \
as a JSON object: {"topics": [{"name": "...", "requirements": ["...", "..."], \
"subtopics": [...same shape...]}]}. Topics are the main parts of the system; each \
requirement is one checkable statement ("Explains how X does Y"). Reply with the JSON only."""

JUDGE_SYSTEM = """\
You judge whether documentation covers a requirement. Read the documentation excerpt and \
reply with JSON only: {"score": "covered" | "partial" | "not", "reason": "one sentence"}."""


class RubricNode(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    requirements: list[str] = []
    subtopics: list[RubricNode] = []

    def leaves(self) -> int:
        return len(self.requirements) + sum(s.leaves() for s in self.subtopics)


class Rubric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    topics: list[RubricNode]
    judge: str = ""
    reference_digest: str = ""

    def leaves(self) -> int:
        return sum(t.leaves() for t in self.topics)


class RubricError(Exception):
    """No usable rubric: the message says why."""


def reference_text(repo: Path, reference: Path | None) -> str:
    """The documentation a rubric is built from: ``reference`` (a folder of Markdown or
    text, or one file), else the repository's README and ``docs/``."""
    paths: list[Path] = []
    if reference is not None:
        paths = [reference] if reference.is_file() else sorted(reference.rglob("*"))
    else:
        paths = sorted(repo.glob("README*")) + sorted((repo / "docs").rglob("*"))
    parts = []
    for path in paths:
        if path.is_file() and path.suffix.lower() in (".md", ".rst", ".txt", ""):
            try:
                parts.append(f"## {path.name}\n\n{path.read_text(encoding='utf-8')}")
            except (OSError, UnicodeDecodeError):
                continue
    return "\n\n".join(parts)[:MAX_REFERENCE_CHARS]


def reference_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def build_rubric(llm: ModelClient, judge: str, text: str, cache: Path) -> tuple[Rubric, bool]:
    """The rubric of ``text`` by ``judge``: from ``cache`` when it holds one (True),
    else asked and frozen there (False)."""
    digest = reference_digest(text)
    path = cache / f"rubric-{digest[:16]}-{_slug(judge)}.json"
    if path.is_file():
        try:
            return Rubric.model_validate_json(path.read_text(encoding="utf-8")), True
        except ValidationError:
            pass
    if not text.strip():
        raise RubricError("no reference documentation (pass --reference DOCS_DIR)")
    completion = await llm.complete(
        [Message.system(RUBRIC_SYSTEM), Message.user(text)], max_tokens=4_000
    )
    data = _json_object(completion.text)
    try:
        rubric = Rubric.model_validate({**data, "judge": judge, "reference_digest": digest})
    except ValidationError as exc:
        raise RubricError(f"the judge's rubric is not usable: {exc.errors()[0]['msg']}") from None
    if not rubric.leaves():
        raise RubricError("the judge's rubric has no requirements")
    write_atomic(path, rubric.model_dump_json(indent=2) + "\n")
    return rubric, False


@dataclass(slots=True)
class Judged:
    """One judging pass of one wiki: a score per topic, the repository's, and how many
    requirements were judged and left unjudged."""

    judge: str
    topics: dict[str, float | None] = field(default_factory=dict)
    score: float | None = None
    judged: int = 0
    unjudged: int = 0


async def judge_wiki(llm: ModelClient, judge: str, rubric: Rubric, pages: list[WikiPage]) -> Judged:
    result = Judged(judge)
    scores = []
    for topic in rubric.topics:
        score = await _node(llm, topic, pages, result)
        result.topics[topic.name] = None if score is None else round(score, 4)
        if score is not None:
            scores.append(score)
    result.score = round(statistics.fmean(scores), 4) if scores else None
    return result


async def _node(
    llm: ModelClient, node: RubricNode, pages: list[WikiPage], result: Judged
) -> float | None:
    scores: list[float] = []
    for requirement in node.requirements:
        score = await _leaf(llm, f"{node.name}: {requirement}", pages)
        if score is None:
            result.unjudged += 1
        else:
            result.judged += 1
            scores.append(score)
    for sub in node.subtopics:
        score = await _node(llm, sub, pages, result)
        if score is not None:
            scores.append(score)
    return statistics.fmean(scores) if scores else None


async def _leaf(llm: ModelClient, requirement: str, pages: list[WikiPage]) -> float | None:
    evidence = related_text(requirement, pages)
    completion = await llm.complete(
        [
            Message.system(JUDGE_SYSTEM),
            Message.user(f"Requirement: {requirement}\n\nDocumentation:\n{evidence}"),
        ],
        max_tokens=300,
    )
    try:
        verdict = str(_json_object(completion.text).get("score", "")).strip().lower()
    except RubricError:
        return None
    return SCORES.get(verdict)


def related_text(requirement: str, pages: list[WikiPage]) -> str:
    """The wiki's pages most related to a requirement (by shared words), up to the limit."""
    words = set(_words(requirement))

    def overlap(page: WikiPage) -> int:
        return len(words & set(_words(page.text)))

    chosen, left = [], MAX_EVIDENCE_CHARS
    for page in sorted(pages, key=lambda p: (-overlap(p), p.path)):
        if left <= 0:
            break
        chosen.append(f"### {page.path}\n{page.text[:left]}")
        left -= len(page.text)
    return "\n\n".join(chosen)


def spread(scores: list[float | None]) -> dict[str, Any]:
    """Mean, standard deviation, min and max of the passes that gave a score."""
    given = [s for s in scores if s is not None]
    if not given:
        return {"mean": None, "stdev": None, "min": None, "max": None, "passes": 0}
    return {
        "mean": round(statistics.fmean(given), 4),
        "stdev": round(statistics.pstdev(given), 4),
        "min": min(given),
        "max": max(given),
        "passes": len(given),
    }


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z_][a-z0-9_]{2,}", text.lower())]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "_", text)[:60]


def _json_object(text: str) -> dict[str, Any]:
    """The first JSON object of a reply (a fenced block or bare)."""
    start = text.find("{")
    end = text.rfind("}")
    if start < 0 or end < start:
        raise RubricError("the reply holds no JSON object")
    try:
        data = json.loads(text[start : end + 1])
    except ValueError as exc:
        raise RubricError(f"the reply is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RubricError("the reply is not a JSON object")
    return data
