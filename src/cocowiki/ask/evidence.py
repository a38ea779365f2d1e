"""The deterministic answer: ranked evidence, each piece with a citation and a snippet.

A snippet is read from the working tree, not from the catalog, so it shows what is on disk
now; when the file's digest no longer matches the index, the evidence says so
(``stale``) instead of quoting lines that may have moved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..results import Evidence, to_json
from .pages import PageSection
from .retrieve import Hit

SNIPPET_LINES = 12
SNIPPET_LINE_CHARS = 160


@dataclass(slots=True)
class Answer:
    """What ``cw ask`` returns: the evidence always, and a model's answer when asked for."""

    question: str
    evidence: list[Evidence]
    sections: list[PageSection] = field(default_factory=list)
    text: str | None = None
    dropped_sentences: list[str] = field(default_factory=list)
    model: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "evidence": [
                {**to_json(item), "score": round(item.score, 4)} for item in self.evidence
            ],
            "pages": [
                {**asdict(section), "citation": section.citation, "score": round(section.score, 4)}
                for section in self.sections
            ],
            "answer": self.text,
            "model": self.model,
            "dropped_sentences": self.dropped_sentences,
            "timings": {key: round(value, 4) for key, value in sorted(self.timings.items())},
        }


@dataclass(frozen=True, slots=True)
class PageFinder:
    """Which page documents a component: the sub-page a model split it onto, else the
    page of its file."""

    by_file: Mapping[str, str]
    by_component: Mapping[str, str] = field(default_factory=dict)

    def page_of(self, component_id: str, path: str) -> str | None:
        return self.by_component.get(component_id) or self.by_file.get(path)


def gather(
    hits: list[Hit], repo: Path, digests: dict[str, str], pages: PageFinder
) -> list[Evidence]:
    """Turn ranked hits into evidence with snippets read from ``repo``."""
    files: dict[str, tuple[list[str], bool] | None] = {}
    evidence = []
    for hit in hits:
        component = hit.component
        if component.path not in files:
            files[component.path] = _read(repo / component.path, digests.get(component.path))
        loaded = files[component.path]
        lines, stale = loaded if loaded is not None else ([], True)
        evidence.append(
            Evidence(
                id=component.id,
                kind=str(component.kind),
                name=component.name,
                qualified_name=component.qualified_name,
                signature=component.signature,
                doc=component.doc.split("\n\n")[0].strip(),
                path=component.path,
                start_line=component.start_line,
                end_line=component.end_line,
                score=hit.score,
                reasons=tuple(hit.reasons),
                snippet="" if stale else _snippet(lines, component.start_line, component.end_line),
                stale=stale,
                page=pages.page_of(component.id, component.path),
                citation=f"{component.path}:{component.start_line}-{component.end_line}",
            )
        )
    return evidence


def _read(path: Path, digest: str | None) -> tuple[list[str], bool] | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    stale = digest is not None and hashlib.sha256(data).hexdigest() != digest
    return data.decode("utf-8", errors="replace").splitlines(), stale


def _snippet(lines: list[str], start: int, end: int) -> str:
    last = min(end, start + SNIPPET_LINES - 1, len(lines))
    shown = [line[:SNIPPET_LINE_CHARS] for line in lines[start - 1 : last]]
    if last < end:
        shown.append(f"... ({end - last} more lines)")
    return "\n".join(shown)
