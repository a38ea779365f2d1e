"""Mermaid text that parses: quoted, escaped labels and generated identifiers.

Names from code break Mermaid in known ways (hyphens or keywords as ids, brackets,
quotes, ``::``, ``<Generic>``, backticks that switch labels to Markdown), so nothing from
the code is ever used as an identifier: nodes are ``n0``, ``n1``..., subgraphs ``g0``...,
classes ``C0``...; names appear only in quoted labels, with the characters Mermaid reads
specially written as entity codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_LABEL = 60
_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;"}
_ENTITY_PATTERN = re.compile("|".join(re.escape(char) for char in _ENTITIES))
_MEMBER = re.compile(r"\W+")


def label(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` as a quoted Mermaid label: one line, at most ``limit`` characters."""
    flat = " ".join(text.split()) or "(unnamed)"
    if len(flat) > limit:
        flat = flat[: limit - 3].rstrip() + "..."
    return '"' + _ENTITY_PATTERN.sub(lambda m: _ENTITIES[m.group(0)], flat) + '"'


def member_name(name: str) -> str:
    """A class-diagram member name: word characters only (``operator<<`` -> ``operator``)."""
    return _MEMBER.sub("_", name).strip("_")


@dataclass(slots=True)
class Flowchart:
    """A ``flowchart`` with nodes keyed by the caller's own keys, optionally in subgraphs."""

    direction: str = "LR"
    _ids: dict[str, str] = field(default_factory=dict)
    _nodes: dict[str, str] = field(default_factory=dict)
    _groups: dict[str, tuple[str, str, list[str]]] = field(default_factory=dict)
    _edges: list[str] = field(default_factory=list)
    _classes: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: str) -> bool:
        return key in self._ids

    def group(self, key: str, title: str) -> str:
        """Declare a subgraph (once per key); nodes join it with ``node(..., group=key)``."""
        if key not in self._groups:
            self._groups[key] = (f"g{len(self._groups)}", title, [])
        return key

    def node(
        self, key: str, text: str, *, group: str | None = None, style: str | None = None
    ) -> str:
        """Add a node (once per key); ``group`` is a declared subgraph, ``style`` a class."""
        if key in self._ids:
            return self._ids[key]
        ident = f"n{len(self._ids)}"
        self._ids[key] = ident
        self._nodes[ident] = f"{ident}[{label(text)}]"
        if group is not None:
            self._groups[group][2].append(ident)
        if style is not None:
            self._classes.setdefault(style, []).append(ident)
        return ident

    def edge(self, source: str, target: str, text: str = "", *, dotted: bool = False) -> None:
        arrow = "-.->" if dotted else "-->"
        middle = f"|{label(text, 30)}|" if text else ""
        self._edges.append(f"{self._ids[source]} {arrow}{middle} {self._ids[target]}")

    def render(self) -> str:
        lines = [f"flowchart {self.direction}"]
        grouped = {ident for _, _, members in self._groups.values() for ident in members}
        for ident, line in self._nodes.items():
            if ident not in grouped:
                lines.append(f"    {line}")
        for group_id, title, members in self._groups.values():
            lines.append(f"    subgraph {group_id}[{label(title)}]")
            lines.extend(f"        {self._nodes[ident]}" for ident in members)
            lines.append("    end")
        lines.extend(f"    {edge}" for edge in self._edges)
        for style, members in self._classes.items():
            lines.append(f"    classDef {style} {_STYLES[style]}")
            lines.append(f"    class {','.join(members)} {style}")
        return "\n".join(lines) + "\n"


_STYLES = {
    "focus": "fill:#fde68a,stroke:#b45309,stroke-width:2px",
    "external": "fill:#f3f4f6,stroke:#9ca3af,stroke-dasharray:3 3",
    "more": "fill:#ffffff,stroke:#9ca3af,stroke-dasharray:3 3",
}


@dataclass(slots=True)
class ClassDiagram:
    """A ``classDiagram`` of types with members and inheritance/implementation edges."""

    _ids: dict[str, str] = field(default_factory=dict)
    _lines: list[str] = field(default_factory=list)
    _relations: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: str) -> bool:
        return key in self._ids

    def type(self, key: str, name: str, stereotype: str = "") -> str:
        if key in self._ids:
            return self._ids[key]
        ident = f"C{len(self._ids)}"
        self._ids[key] = ident
        self._lines.append(f"    class {ident}[{label(name)}]")
        if stereotype:
            self._lines.append(f"    <<{member_name(stereotype)}>> {ident}")
        return ident

    def member(self, key: str, name: str, *, method: bool, visibility: str = "+") -> None:
        clean = member_name(name)
        if clean:
            self._lines.append(
                f"    {self._ids[key]} : {visibility}{clean}{'()' if method else ''}"
            )

    def inherits(self, child: str, parent: str, *, realizes: bool = False) -> None:
        arrow = "<|.." if realizes else "<|--"
        self._relations.append(f"    {self._ids[parent]} {arrow} {self._ids[child]}")

    def render(self) -> str:
        return "\n".join(["classDiagram", *self._lines, *self._relations]) + "\n"
