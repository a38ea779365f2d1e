"""The checks a model-written page passes before it is published.

:func:`check_model_page` reads the page's Markdown as the model wrote it (before its
citations are linked; linked ones are read the same way) and finds:

* **citations** (see :mod:`.modelcites` for what counts as one) whose file does not
  exist in the repository or whose lines are past its end; and, for each sentence that
  both cites lines and names an identifier in backticks (``Foo``, ``Foo.bar``,
  ``run()``), an identifier none of that sentence's cited spans contains (its last
  name, as a whole word). A sentence without citations of its own is not checked for
  identifiers;
* **prose without citations**: every paragraph, list item, block quote and table
  (a *block*) of :data:`MIN_PROSE_WORDS` words or more, not counting links, code and
  citations, cites at least one span. Exempt: headings, code and diagrams, a one-line
  caption ending in ``:``, a list of links (few words beside the links), the
  maintainers' kept blocks and the sections the caller names in ``uncited_headings``
  (their citations are still checked);
* **diagrams**: every ``mermaid`` fence parses, by the real parser behind
  ``diagram_checker`` (the :data:`~.verification.DiagramChecker` shape); its message is
  kept with the line of the page it points at; a fence never closed is a problem too;
* **links**: a link to another page is written ``<page id>.md`` (the way the
  deterministic pages link, and the viewer reads) and names a page of the wiki; a link
  into the source tree by URL is refused (cite ``path:start-end`` instead); web
  addresses and in-page ``#anchors`` are left alone;
* **markers**: kept-block markers that do not pair up (:func:`.keep.marker_problems`).

:func:`problems_for_model` words the problems for the model's next round.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..mermaid import MermaidCheckerFailed, MermaidUnavailable
from .keep import heading_text, kept_blocks, marker_problems
from .mdlines import code_lines, fences
from .modelcites import MARK, CitationMark, citation_fault, line_citations, page_citations
from .pageproblem import PageProblem
from .sources import SourceReader
from .verification import DiagramChecker

__all__ = ["MIN_PROSE_WORDS", "PageProblem", "check_model_page", "problems_for_model"]

#: Words of prose (outside links and code) from which a block must cite its source.
MIN_PROSE_WORDS = 5
MAX_MESSAGE = 400  # characters of a parser message sent back to the model

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:(?:\.|::|->|#)[A-Za-z_]\w*)*(?:\(\))?")
_FILE_SUFFIX = re.compile(
    r"\.(?:py|pyi|rs|go|js|mjs|cjs|ts|tsx|jsx|c|h|cc|cpp|hpp|cs|java|kt|rb|md|toml|json"
    r"|ya?ml|txt|cfg|ini|lock|sh|sql|html|css)$"
)
_LITERALS = frozenset({"None", "True", "False", "null", "nil", "true", "false", "self", "this"})
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
_SENTENCE_END = re.compile(r"[.!?](?=\s+\S)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_PARSER_LINE = re.compile(r"on line (\d+)")
_GROUPS = (
    ("citation", "Citations"),
    ("diagram", "Diagrams"),
    ("link", "Links"),
    ("marker", "Kept-block markers"),
)


@dataclass(frozen=True, slots=True)
class _Block:
    """Consecutive lines read as one paragraph, list item, quote or table."""

    first: int  # 0-based index of its first line
    lines: tuple[str, ...]
    kept: bool
    heading: str  # the text of the nearest heading above it ("" before the first)


def check_model_page(
    markdown: str,
    *,
    reader: SourceReader,
    page_ids: Collection[str],
    diagram_checker: DiagramChecker,
    uncited_headings: Collection[str] = (),
) -> list[PageProblem]:
    """Every problem of the page, by kind then line (see the module docstring).

    ``uncited_headings``: titles of sections whose prose need not cite (a page's
    ``Summary`` for its parent, say); citations written there are still checked."""
    lines = markdown.split("\n")
    problems = [
        *_citation_problems(lines, reader, {_key(title) for title in uncited_headings}),
        *_diagram_problems(lines, diagram_checker),
        *_link_problems(lines, page_ids),
        *marker_problems(markdown),
    ]
    order = {kind: n for n, (kind, _) in enumerate(_GROUPS)}
    return sorted(problems, key=lambda p: (order.get(p.kind, len(order)), p.line or 0))


def problems_for_model(problems: Sequence[PageProblem]) -> str:
    """The problems as the message asking the model for a corrected page."""
    if not problems:
        return "The page passed every check."
    noun = "problem" if len(problems) == 1 else "problems"
    out = [
        f"The page has {len(problems)} {noun}. Fix each one and answer with the whole "
        "corrected page (Markdown only)."
    ]
    for kind, title in _GROUPS:
        group = [p for p in problems if p.kind == kind]
        if group:
            out += ["", f"{title}:"]
            out += [_bullet(p) for p in group]
    return "\n".join(out)


def _bullet(problem: PageProblem) -> str:
    where = f"line {problem.line}: " if problem.line is not None else ""
    text = problem.message
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 3] + "..."
    first, *rest = text.split("\n")
    return "\n".join([f"- {where}{first}", *(f"    {line}" for line in rest)])


# citations ----------------------------------------------------------------------------------


def _citation_problems(
    lines: list[str], reader: SourceReader, uncited: Collection[str]
) -> list[PageProblem]:
    """Citations that do not resolve (wherever they are outside code, headings included),
    blocks of prose that cite nothing, and identifiers their citations do not contain."""
    problems = [
        PageProblem("citation", f"`{span.written}`: {fault}", span.line)
        for mark in page_citations("\n".join(lines))
        for span in mark.spans
        if (fault := citation_fault(reader, span)) is not None
    ]
    for block in _blocks(lines):
        cites = any(True for line in block.lines for _ in line_citations(line, 0))
        exempt = block.kept or _key(block.heading) in uncited
        if not cites and not exempt and _needs_citation(block):
            problems.append(
                PageProblem(
                    "citation",
                    "this paragraph cites no source: add the `path:start-end` of the code "
                    "it describes",
                    block.first + 1,
                )
            )
        problems += _identifier_problems(block, reader)
    return problems


def _blocks(lines: list[str]) -> Iterator[_Block]:
    """The prose blocks of a page: lines outside code, headings, comments and markers,
    split at blank lines, list items and the edges of tables."""
    code = code_lines(lines)
    kept = {
        block.line - 1 + n
        for block in kept_blocks("\n".join(lines))
        for n in range(block.text.count("\n") + 1)
    }
    current: list[int] = []
    heading = ""

    def flush() -> Iterator[_Block]:
        if current:
            first = current[0]
            yield _Block(first, tuple(lines[n] for n in current), first in kept, heading)
            current.clear()

    for n, line in enumerate(lines):
        title = heading_text(line) if n not in code else None
        if n in code or not line.strip() or title is not None or _COMMENT.match(line):
            yield from flush()
            heading = title if title is not None else heading
            continue
        table = line.lstrip().startswith("|")
        starts = _ITEM.match(line) is not None or (
            current and table != lines[current[-1]].lstrip().startswith("|")
        )
        if starts:
            yield from flush()
        current.append(n)
    yield from flush()


def _key(title: str) -> str:
    return " ".join(title.split()).casefold()


def _needs_citation(block: _Block) -> bool:
    if len(block.lines) == 1 and block.lines[0].rstrip().rstrip("*_").endswith(":"):
        return False  # a caption for the diagram, list or table that follows
    prose = MARK.sub(" ", "\n".join(block.lines))
    return len(_WORD.findall(prose)) >= MIN_PROSE_WORDS


def _identifier_problems(block: _Block, reader: SourceReader) -> list[PageProblem]:
    """Identifiers a sentence names that none of its citations' lines contain."""
    text = "\n".join(block.lines)
    masked = MARK.sub(lambda m: "x" * len(m.group(0)), text)
    ends = [m.end() for m in _SENTENCE_END.finditer(masked)] + [len(text)]
    problems: list[PageProblem] = []
    start = 0
    for end in ends:
        sentence = text[start:end]
        line = block.first + text.count("\n", 0, start)
        marks = _sentence_marks(sentence, line)
        spans = [s for m in marks for s in m.spans if citation_fault(reader, s) is None]
        if spans:
            cited = "\n".join("\n".join(reader.lines(s.path)[s.start - 1 : s.end]) for s in spans)
            for name in _identifiers(sentence):
                last = re.split(r"\.|::|->|#", name.removesuffix("()"))[-1]
                if re.search(rf"(?<!\w){re.escape(last)}(?!\w)", cited) is None:
                    labels = ", ".join(f"`{s.written}`" for s in spans)
                    problems.append(
                        PageProblem(
                            "citation",
                            f"`{name}` is named but not in the cited lines {labels}: cite "
                            "the lines that define or use it",
                            spans[0].line,
                        )
                    )
        start = end
    return problems


def _sentence_marks(sentence: str, first_line: int) -> list[CitationMark]:
    return [
        mark
        for n, line in enumerate(sentence.split("\n"))
        for mark in line_citations(line, first_line + n)
    ]


def _identifiers(sentence: str) -> list[str]:
    """Code spans of a sentence that name an identifier (not a citation, file or literal),
    also as a link's label (``[`Foo`](foo.md)``)."""
    names: list[str] = []
    for match in MARK.finditer(sentence):
        if match.group("link") is not None:
            label = match.group("label")
            body = label.strip("`") if label.startswith("`") else None
        else:
            body = match.group("body").strip()
        if (
            body is not None
            and _IDENTIFIER.fullmatch(body)
            and body not in _LITERALS
            and not _FILE_SUFFIX.search(body)
            and body not in names
        ):
            names.append(body)
    return names


# diagrams -----------------------------------------------------------------------------------


def _diagram_problems(lines: list[str], checker: DiagramChecker) -> list[PageProblem]:
    diagrams = [fence for fence in fences(lines) if fence.language == "mermaid"]
    problems = [
        PageProblem("diagram", "the ```mermaid fence is never closed", fence.start + 1)
        for fence in diagrams
        if not fence.closed
    ]
    if not diagrams:
        return problems
    texts = [fence.body(lines) for fence in diagrams]
    try:
        answers = checker(texts)
    except (MermaidUnavailable, MermaidCheckerFailed) as exc:
        return problems + [
            PageProblem("diagram", f"diagram {n} could not be checked: {exc}", f.start + 1)
            for n, f in enumerate(diagrams, start=1)
        ]
    for n, (fence, error) in enumerate(zip(diagrams, answers, strict=True), start=1):
        if error is not None:
            at = _PARSER_LINE.search(error)
            line = fence.start + 1 + int(at.group(1)) if at else fence.start + 1
            problems.append(
                PageProblem("diagram", f"diagram {n} does not parse: {error.strip()}", line)
            )
    return problems


# links --------------------------------------------------------------------------------------


def _link_problems(lines: list[str], page_ids: Collection[str]) -> list[PageProblem]:
    problems: list[PageProblem] = []
    code = code_lines(lines)
    for index, line in enumerate(lines):
        if index in code:
            continue
        cites = {(m.start, m.end) for m in line_citations(line, index)}
        for match in MARK.finditer(line):
            if match.group("link") is None or (match.start(), match.end()) in cites:
                continue
            fault = _link_fault(match.group("target"), page_ids)
            if fault is not None:
                problems.append(PageProblem("link", fault, index + 1))
    return problems


def _link_fault(target: str, page_ids: Collection[str]) -> str | None:
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path:
        return None  # a web address, or an #anchor of this page
    if parts.fragment.startswith("L") or not parts.path.endswith(".md"):
        return (
            f"link to `{target}`: link pages as `<page id>.md` and cite code as "
            "`path:start-end` in backticks"
        )
    page = parts.path.removesuffix(".md")
    if "/" in page:
        return f"link to `{target}`: link a page by its id alone, as `{page.rsplit('/', 1)[1]}.md`"
    if page in page_ids:
        return None
    near = difflib.get_close_matches(page, list(page_ids), n=3)
    hint = f" (did you mean {', '.join(f'`{p}.md`' for p in near)}?)" if near else ""
    return f"link to `{target}`: there is no page `{page}`{hint}"
