"""Deterministic measures of a wiki against its repository: no model, same numbers every run.

A wiki is a folder of Markdown (cocowiki's ``pages/``, or any other generator's output).
Over its prose (text outside code fences, headings and tables):

* **citation validity**: of the ``path:start-end`` citations (code spans or link labels),
  the share that name lines existing in the repository now;
* **cited paragraphs**: the share of prose paragraphs carrying at least one valid citation;
* **public-API coverage**: the share of the repository's public components (outside
  tests) named in the wiki (as a code span or link label, by simple or qualified name);
* **diagram validity**: the share of Mermaid blocks mermaid parses (``None`` when node
  or mermaid is not installed: unchecked, never counted as valid);
* **broken links**: relative links whose target file does not exist (beside the page,
  in the wiki or in the repository);
* **pages per 1,000 lines** of indexed source;
* **truthfulness**: of the code identifiers the prose names in code spans, the share
  that exist for the repository: a component of its index, a file, or a name its code
  imports (as DocAgent measures it, with imports counted as existing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..index.model import IndexResult, Visibility
from ..index.suites import is_test_file
from ..pages.mdlines import code_lines, fences
from ..pages.modelcites import citation_fault, page_citations
from ..pages.sources import SourceReader

_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"\n]*\")?\)")
_SPAN = re.compile(r"(`+)([^`\n]+?)\1")
_IDENT = re.compile(r"^[A-Za-z_][\w]*(?:(?:\.|::)[A-Za-z_]\w*)*(?:\(\))?$")
_API_KINDS = frozenset({"function", "method", "class", "struct", "interface", "trait", "enum"})
#: Words in code spans that are not identifiers of the repository (keywords, literals).
_NOT_NAMES = frozenset(
    {"None", "True", "False", "null", "true", "false", "self", "this", "nil", "async", "await"}
)


@dataclass(frozen=True, slots=True)
class WikiPage:
    path: str
    text: str


def load_wiki(folder: Path) -> list[WikiPage]:
    """The Markdown pages of a wiki: ``pages/*.md`` of a cocowiki output, else every
    ``*.md`` under ``folder``."""
    root = folder / "pages" if (folder / "manifest.json").is_file() else folder
    return [
        WikiPage(path.relative_to(folder).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(root.rglob("*.md"))
        if path.is_file()
    ]


@dataclass(frozen=True, slots=True)
class Measures:
    """The deterministic report of one wiki; shares are 0..1, None when undefined."""

    pages: int
    paragraphs: int
    citations: int
    citations_valid: int
    citation_validity: float | None
    cited_paragraph_share: float | None
    public_api: int
    public_api_named: int
    public_api_coverage: float | None
    diagrams: int
    diagrams_valid: int | None
    diagram_validity: float | None
    links: int
    broken_links: int
    pages_per_kloc: float | None
    identifiers: int
    identifiers_found: int
    truthfulness: float | None

    def to_dict(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def measure(
    wiki: Path,
    repo: Path,
    index: IndexResult,
    check_diagrams: Any | None = None,
) -> Measures:
    """Every measure of the wiki in ``wiki`` against ``repo`` and its ``index``;
    ``check_diagrams(texts) -> [None | problem]`` parses Mermaid (None: unchecked)."""
    pages = load_wiki(wiki)
    reader = SourceReader(repo)
    citations = valid = 0
    paragraphs = cited = 0
    links = broken = 0
    named: set[str] = set()
    spans: list[str] = []
    diagrams: list[str] = []
    for page in pages:
        lines = page.text.split("\n")
        diagrams += [f.body(lines) for f in fences(lines) if f.language == "mermaid"]
        for paragraph in prose_paragraphs(page.text):
            paragraphs += 1
            good = 0
            for mark in page_citations(paragraph):
                for span in mark.spans:
                    citations += 1
                    if citation_fault(reader, span) is None:
                        valid += 1
                        good += 1
            cited += good > 0
            for match in _SPAN.finditer(paragraph):
                spans.append(match.group(2).strip())
            for match in _LINK.finditer(paragraph):
                links += 1
                broken += _broken(match.group(1), wiki / page.path, wiki, repo)
        named.update(spans)
    public = [
        c
        for c in index.components
        if str(c.kind) in _API_KINDS
        and c.visibility == Visibility.PUBLIC
        and not is_test_file(c.path)
    ]
    words = {_bare(s) for s in spans} | named
    covered = sum(1 for c in public if c.name in words or c.qualified_name in words)
    identifiers = [_bare(s) for s in spans if _is_identifier(s)]
    known = _known_names(index)
    found = sum(1 for name in identifiers if name.split(".")[-1].split("::")[-1] in known)
    checked = check_diagrams(diagrams) if check_diagrams is not None and diagrams else None
    diagrams_valid = None if checked is None else sum(1 for r in checked if r is None)
    lines_total = index.lines
    return Measures(
        pages=len(pages),
        paragraphs=paragraphs,
        citations=citations,
        citations_valid=valid,
        citation_validity=_share(valid, citations),
        cited_paragraph_share=_share(cited, paragraphs),
        public_api=len(public),
        public_api_named=covered,
        public_api_coverage=_share(covered, len(public)),
        diagrams=len(diagrams),
        diagrams_valid=diagrams_valid if diagrams else 0,
        diagram_validity=None if diagrams_valid is None else _share(diagrams_valid, len(diagrams)),
        links=links,
        broken_links=broken,
        pages_per_kloc=round(len(pages) * 1000 / lines_total, 3) if lines_total else None,
        identifiers=len(identifiers),
        identifiers_found=found,
        truthfulness=_share(found, len(identifiers)),
    )


def prose_paragraphs(markdown: str) -> list[str]:
    """Paragraphs of prose: blocks between blank lines, outside code fences, that are
    not headings, tables, HTML comments or blocks of links only."""
    lines = markdown.split("\n")
    in_code = code_lines(lines)
    blocks: list[list[str]] = [[]]
    for index, line in enumerate(lines):
        if index in in_code or not line.strip():
            blocks.append([])
        else:
            blocks[-1].append(line)
    paragraphs = []
    for block in blocks:
        text = "\n".join(block).strip()
        if not text or text.startswith(("#", "|", "<!--", "<")):
            continue
        if not re.sub(r"[\s*-]*\[[^\]]*\]\([^)]*\)", "", text).strip():
            continue
        paragraphs.append(text)
    return paragraphs


def _bare(span: str) -> str:
    return span.removesuffix("()")


def _is_identifier(span: str) -> bool:
    bare = _bare(span)
    return bool(_IDENT.match(span)) and bare not in _NOT_NAMES and len(bare) > 1


def _known_names(index: IndexResult) -> set[str]:
    """Names that exist for the code: components, files (with and without suffix), and
    what the code imports (an external module or name it really uses)."""
    names = {c.name for c in index.components}
    for ref in index.references:
        if str(ref.kind) == "import" and ref.target_name:
            parts = ref.target_name.replace("::", ".").split(".")
            names.update({parts[0], parts[-1], ref.target_name})
    for source in index.files:
        stem = source.path.rsplit("/", 1)[-1]
        names.update({stem, stem.split(".", 1)[0]})
    return names


def _broken(target: str, page: Path, wiki: Path, repo: Path) -> bool:
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
        return False
    path = target.split("#", 1)[0].split("?", 1)[0]
    if not path:
        return False
    candidates: Iterable[Path] = (page.parent / path, wiki / path, repo / path)
    return not any(candidate.exists() for candidate in candidates)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
