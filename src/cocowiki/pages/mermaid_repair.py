"""Mermaid 11's known traps, fixed in a model's diagram before it is parsed.

Models write Mermaid that reads well and does not parse in a few known ways. Each is
fixed here by a rewrite that keeps what the diagram shows:

* a subgraph id with two hyphens in a row or another character Mermaid reads as syntax
  (``subgraph src--core``): the id becomes word characters and the old id its label;
* brackets, parentheses or braces inside a subgraph label (``subgraph g [run [main]]``):
  the label is quoted;
* ``::`` in a state-diagram transition label (``A --> B : Kernel::run``): written as
  the entity codes ``#58;#58;``;
* a semicolon in a sequence diagram's message or note text (``A->>B: open(); read()``):
  written as ``#59;``;
* raw ``<Generic>`` text where Mermaid reads a name: a class-diagram class name
  (``class List<T>`` becomes ``class List~T~``, Mermaid's generic syntax) and a bare
  flowchart node (``A --> List<T>`` becomes ``List_T["List#lt;T#gt;"]``).

Only the lines of those shapes change, so a diagram without the traps comes back as it
was, and repairing twice changes nothing more (every rewrite produces text its own
pattern no longer matches). What cannot be fixed safely is left for the parser to report
and the model to correct; :data:`MERMAID_TRAPS` is what the prompt says to avoid.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MERMAID_TRAPS = """\
Mermaid 11 traps to avoid (each makes the diagram fail to parse):
- subgraph ids: letters, digits and _ only (`subgraph core_io ["core-io"]`), never `--`.
- subgraph labels with [brackets] or (parentheses): quote them: `subgraph g ["run [main]"]`.
- state diagrams: no `::` in a transition label (`A --> B : Kernel.run`).
- sequence diagrams: no `;` in message or note text (write `#59;` or use a comma).
- generics: `class List~T~` in class diagrams; in flowcharts, quote labels and write
  `<` `>` as `#lt;` `#gt;`: `n1["List#lt;T#gt;"]`.
- node ids are plain words; put names with spaces or punctuation in quoted labels."""

_SUBGRAPH = re.compile(r"^(?P<lead>\s*subgraph\s+)(?P<id>[^\s\[\"]+)(?P<rest>\s*\[.*\])?\s*$")
_SAFE_ID = re.compile(r"^[\w.:/]+(?:-[\w.:/]+)*$")
_BARE_LABEL = re.compile(r"^\s*\[(?P<label>.*)\]$")
_STATE_TRANSITION = re.compile(r"^(?P<head>\s*\S+\s*-->\s*\S+\s*:)(?P<label>.*)$")
_SEQUENCE_TEXT = re.compile(
    r"^(?P<head>\s*(?:(?:Note\s+(?:left of|right of|over)\s+[^:]+)"
    r"|(?:[^:%\s][^:]*?(?:->>|-->>|->|-->|-x|--x|-\)|--\))[+-]?[^:]+)):)(?P<text>.*)$",
    re.IGNORECASE,
)
_CLASS_GENERIC = re.compile(r"(?<![\w~])(?P<name>[A-Za-z_]\w*)<(?P<args>[\w ,]+)>")
_FLOW_GENERIC = re.compile(r"(?<![\w#])(?P<name>[A-Za-z_]\w*)<(?P<args>[\w ,]+)>(?![\w\[(])")
#: Text Mermaid reads as a flowchart label: in brackets, parentheses, braces, pipes, quotes.
_FLOW_LABEL = re.compile(r'\[[^\]]*\]|\([^)]*\)|\{[^}]*\}|\|[^|]*\||"[^"]*"')
#: A class declaration or a relation line (where a class name is read).
_CLASS_LINE = re.compile(
    r"^\s*(class\s+\S|[A-Za-z_][\w<>, ]*\s*(<\|--|\*--|o--|-->|--|\.\.>|\.\.\|>|<\|\.\.))"
)
_ENTITIES = {'"': "#quot;", "<": "#lt;", ">": "#gt;"}


def repair_mermaid(source: str) -> str:
    """``source`` with the known traps fixed (see the module docstring)."""
    kind = _diagram_kind(source)
    fixes: dict[str, Callable[[str], str]] = {
        "flowchart": _flowchart,
        "graph": _flowchart,
        "statediagram": _state_diagram,
        "statediagram-v2": _state_diagram,
        "sequencediagram": _sequence_diagram,
        "classdiagram": _class_diagram,
    }
    fix = fixes.get(kind)
    return source if fix is None else fix(source)


def _diagram_kind(source: str) -> str:
    for line in source.splitlines():
        words = line.split()
        if words and not words[0].startswith("%%"):
            return words[0].lower()
    return ""


def _lines(source: str, fix: Callable[[str], str]) -> str:
    """``fix`` applied to every line but comments."""
    return "\n".join(line if _comment(line) else fix(line) for line in source.split("\n"))


def _comment(line: str) -> bool:
    return line.lstrip().startswith("%%")


def _word_id(text: str) -> str:
    """An identifier made of ``text``'s word characters."""
    return re.sub(r"\W+", "_", text).strip("_") or "group"


def _flowchart(source: str) -> str:
    renamed: dict[str, str] = {}

    def subgraph(line: str) -> str:
        match = _SUBGRAPH.match(line)
        if match is None:
            return line
        ident, rest = match.group("id"), match.group("rest") or ""
        label = _BARE_LABEL.match(rest)
        if _SAFE_ID.match(ident) is None:
            renamed[ident] = _word_id(ident)
            text = label.group("label") if label is not None else ident
            return f"{match.group('lead')}{renamed[ident]} [{_quoted(text)}]"
        text = label.group("label").strip() if label is not None else ""
        if re.search(r"[\[\](){}<>]", text) and not _is_quoted(text):
            return f"{match.group('lead')}{ident} [{_quoted(text)}]"
        return line

    lines = [subgraph(line) if not _comment(line) else line for line in source.split("\n")]
    if renamed:  # edges and styles that name a renamed subgraph, outside quoted labels
        pattern = re.compile("|".join(rf"(?<![\w-]){re.escape(old)}(?![\w-])" for old in renamed))
        lines = [
            line if _SUBGRAPH.match(line) else _outside_quotes(line, pattern, renamed)
            for line in lines
        ]
    return _lines("\n".join(lines), _flow_generics)


def _outside_quotes(line: str, pattern: re.Pattern[str], renamed: dict[str, str]) -> str:
    parts = line.split('"')
    for n in range(0, len(parts), 2):
        parts[n] = pattern.sub(lambda m: renamed[m.group(0)], parts[n])
    return '"'.join(parts)


def _quoted(label: str) -> str:
    """A subgraph or node label in double quotes (an already quoted one as it is)."""
    text = label.strip()
    if _is_quoted(text):
        return text
    return '"' + re.sub(r'["<>]', lambda m: _ENTITIES[m.group(0)], text) + '"'


def _is_quoted(text: str) -> bool:
    return len(text) >= 2 and text[0] == text[-1] == '"'


def _flow_generics(line: str) -> str:
    """A bare node named ``List<T>`` becomes node ``List_T`` labelled ``List<T>``."""
    if re.match(r"^\s*(subgraph|classDef|class|style|linkStyle|click)\b", line):
        return line
    parts: list[str] = []
    last = 0
    for label in _FLOW_LABEL.finditer(line):  # labels may hold <T>: only names change
        parts += [_FLOW_GENERIC.sub(_generic_node, line[last : label.start()]), label.group(0)]
        last = label.end()
    return "".join([*parts, _FLOW_GENERIC.sub(_generic_node, line[last:])])


def _generic_node(match: re.Match[str]) -> str:
    return f"{_word_id(match.group(0))}[{_quoted(match.group(0))}]"


def _state_diagram(source: str) -> str:
    def transition(line: str) -> str:
        match = _STATE_TRANSITION.match(line)
        if match is None or "::" not in match.group("label"):
            return line
        return match.group("head") + match.group("label").replace("::", "#58;#58;")

    return _lines(source, transition)


def _sequence_diagram(source: str) -> str:
    def message(line: str) -> str:
        match = _SEQUENCE_TEXT.match(line)
        if match is None or ";" not in match.group("text"):
            return line
        text = re.sub(
            r"#(\w+);|;", lambda m: m.group(0) if m.group(1) else "#59;", match.group("text")
        )
        return match.group("head") + text

    return _lines(source, message)


def _class_diagram(source: str) -> str:
    def generic(line: str) -> str:
        if _CLASS_LINE.match(line) is None:
            return line
        head, sep, members = line.partition("{")
        fixed = _CLASS_GENERIC.sub(lambda m: f"{m.group('name')}~{m.group('args')}~", head)
        return fixed + sep + members

    return _lines(source, generic)
