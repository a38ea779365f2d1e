"""Helpers for the cocowiki index tests (a module of its own: ``conftest`` is not importable)."""

from __future__ import annotations

from cocowiki.index import IndexResult

ComponentRow = tuple[str, str, int, int, str]
ReferenceRow = tuple[str, str, str, str | None, str | None, float]


def component_rows(result: IndexResult) -> list[ComponentRow]:
    """``(id, kind, start, end, visibility)`` of every component, in index order."""
    return [
        (c.id, str(c.kind), c.start_line, c.end_line, str(c.visibility)) for c in result.components
    ]


def doc_map(result: IndexResult) -> dict[str, str]:
    """Component id -> doc, for components that have one."""
    return {c.id: c.doc for c in result.components if c.doc}


def resolved_rows(result: IndexResult) -> set[ReferenceRow]:
    """``(source, kind, name, target id, target path, confidence)`` of resolved references."""
    return {
        (r.source_id, str(r.kind), r.target_name, r.target_id, r.target_path, r.confidence)
        for r in result.references
        if r.confidence > 0
    }


def signature_of(result: IndexResult, component_id: str) -> str:
    """The signature of one component (fails the test if the id is unknown)."""
    matches = [c.signature for c in result.components if c.id == component_id]
    assert matches, f"no component {component_id}"
    return matches[0]
