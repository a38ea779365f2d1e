"""A module's own documentation, found where each language keeps it.

The Purpose of a page opens with what the module's authors wrote about it, and that
lives in a known place per language: Rust's ``//!`` in ``lib.rs``, ``mod.rs`` or the
``<dir>.rs`` beside the directory; Python's docstring of ``__init__.py``; Go's package
comment (``doc.go`` first); Java's ``package-info.java``; the index file's leading doc
comment in TypeScript and JavaScript; a header's opening comment in C and C++; and a
README in the folder for any of them. The package files of the module's own folder come
first, then its README, then the other files' module docs.

A part of a split module (a page for some of a directory's files) is documented by its own
files only: the folder's README and package files belong to the pages that hold them.
Test, mock and fake files never speak for a module: "Mock version of File" is not what
``fs`` is for. Files are read through the facts' reader and READMEs found through the
explorer, so the page's recorded inputs include them and an edit to them rebuilds it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..index.suites import is_test_file
from ..plan.model import Module
from .doctext import first_passage
from .facts import RepositoryFacts

#: Documented files a purpose quotes at most.
MAX_DOCS = 3
#: Lines of a file searched for its opening documentation.
HEAD_LINES = 300
_README = re.compile(r"^readme(?:\.(md|markdown|rst|txt))?$", re.IGNORECASE)
_PACKAGE_NAMES = frozenset(
    {"__init__.py", "lib.rs", "mod.rs", "main.rs", "doc.go", "package-info.java"}
)
_INDEX_FILE = re.compile(r"^index\.(?:[cm]?[jt]sx?|d\.ts)$")
_MOCK = re.compile(r"(?:^|[_.-])(?:mocks?|mocked|fakes?|stubs?)(?:[_.-]|$)", re.IGNORECASE)
_HEADERS = (".h", ".hh", ".hpp", ".hxx")
_RUST_ITEM = re.compile(
    r"(?:pub\b|use\b|mod\b|fn\b|struct\b|enum\b|impl\b|trait\b|extern\b|const\b"
    r"|static\b|type\b|macro_rules!|unsafe\b|async\b|cfg_\w+!)"
)
_LICENSE = re.compile(r"copyright|licen[cs]e|spdx|all rights reserved", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ModuleDoc:
    """One piece of a module's documentation: where it is (``path``, lines ``start``..
    ``end``, the span a page cites) and its first sentence(s) as plain text."""

    path: str
    start: int
    end: int
    text: str


def module_docs(facts: RepositoryFacts, module: Module) -> list[ModuleDoc]:
    """The module's own documentation, the most authoritative first (at most
    :data:`MAX_DOCS`)."""
    folder = _folder(facts, module)
    split = _is_split_part(facts, module)
    found: list[ModuleDoc] = []
    if module.parent is None or (folder is not None and not split):
        found.extend(_readme(facts, folder or ""))
    for path in _candidates(facts, module, folder):
        if len(found) >= MAX_DOCS:
            break
        doc = file_doc(facts, path)
        if doc is not None:
            found.append(doc)
    if module.parent is not None:  # a package file speaks before a folder's README
        found.sort(key=lambda doc: not is_package_file(doc.path, folder))
    return found[:MAX_DOCS]


def is_package_file(path: str, folder: str | None) -> bool:
    """A file that speaks for its folder (``__init__.py``, ``mod.rs``, ``doc.go``,
    ``index.ts``, a README, ...), or Rust's ``<folder>.rs`` beside the folder."""
    if folder is None:
        return False
    posix = PurePosixPath(path)
    parent = "" if str(posix.parent) == "." else str(posix.parent)
    name = posix.name
    if parent == folder:
        return name in _PACKAGE_NAMES or bool(_INDEX_FILE.match(name) or _README.match(name))
    return bool(folder) and path == f"{folder}.rs"


def _folder(facts: RepositoryFacts, module: Module) -> str | None:
    """The directory the module stands for, or None for a single-file module."""
    if module.path == "" or (facts.repo / module.path).is_dir():
        return module.path
    return None


def _is_split_part(facts: RepositoryFacts, module: Module) -> bool:
    return module.parent is not None and facts.tree[module.parent].path == module.path


def _candidates(facts: RepositoryFacts, module: Module, folder: str | None) -> list[str]:
    """The files whose docs may speak for the module, package files first."""
    files = list(module.files)
    if not files and folder:  # a group page: the package files of its own folder
        files = [p for p in facts.subtree_files(module.id) if is_package_file(p, folder)]
    product = [p for p in files if not is_suite_or_mock(p)]
    chosen = product or files
    return sorted(
        chosen,
        key=lambda p: (not is_package_file(p, folder), not p.endswith(_HEADERS), p),
    )


def is_suite_or_mock(path: str) -> bool:
    """Test, mock, fake and stub files: they never speak for a module."""
    return is_test_file(path) or bool(_MOCK.search(PurePosixPath(path).name))


def _readme(facts: RepositoryFacts, folder: str) -> list[ModuleDoc]:
    pattern = f"{folder}/[Rr][Ee][Aa][Dd]*" if folder else "[Rr][Ee][Aa][Dd]*"
    matches, _ = facts.explorer.glob(pattern)
    for path in matches:
        name = _README.match(PurePosixPath(path).name)
        if name is None:
            continue
        syntax = "rst" if name.group(1) == "rst" else "markdown"
        lines = facts.reader.lines(path)[:HEAD_LINES]
        passage = first_passage(list(lines), syntax)
        if passage is not None:
            return [ModuleDoc(path, passage.start, passage.end, passage.text)]
    return []


def file_doc(facts: RepositoryFacts, path: str) -> ModuleDoc | None:
    """The opening documentation of one source file, by its language; None if none."""
    extract = _EXTRACTORS.get(PurePosixPath(path).suffix)
    if extract is None:
        return None
    if path.endswith(".java") and not path.endswith("package-info.java"):
        return None
    lines = list(facts.reader.lines(path)[:HEAD_LINES])
    span = extract(lines)
    if span is None:
        return None
    start, end, body = span
    passage = first_passage(body, "doc")
    if passage is None:
        return None
    return ModuleDoc(path, start, end, passage.text)


#: A doc found in a file: its first and last line (1-based) and its text, markers gone.
Span = tuple[int, int, list[str]]


def _rust(lines: list[str]) -> Span | None:
    """``//!`` lines (or a ``/*! */`` block) before the first item, past attributes and
    plain comments."""
    start = end = 0
    body: list[str] = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if text.startswith("//!"):
            start, end = start or number, number
            body.append(_unprefix(text[3:]))
        elif text.startswith("/*!") and not start:
            return _block_comment(lines, number)
        elif _RUST_ITEM.match(text) or (start and text and not text.startswith("//")):
            break
    return (start, end, body) if start else None


def _unprefix(text: str) -> str:
    return text[1:] if text.startswith(" ") else text


def _python(lines: list[str]) -> Span | None:
    """The module docstring: the first statement, a string literal."""
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        match = re.match(r"^[rRuU]?(\"\"\"|'''|\"|')", text)
        if match is None:
            return None
        quote = match.group(1)
        rest = text[match.end() :]
        if quote in rest:
            return number, number, [rest[: rest.index(quote)]]
        body = [rest]
        for end in range(number + 1, len(lines) + 1):
            current = lines[end - 1]
            if quote in current:
                body.append(current[: current.index(quote)])
                return number, end, _dedent(body)
            body.append(current)
        return None
    return None


def _dedent(body: list[str]) -> list[str]:
    indents = [len(line) - len(line.lstrip()) for line in body[1:] if line.strip()]
    cut = min(indents, default=0)
    return [body[0].strip()] + [line[cut:] for line in body[1:]]


def _go(lines: list[str]) -> Span | None:
    """The comment right above the ``package`` clause."""
    for number, line in enumerate(lines, start=1):
        if line.startswith("package "):
            return _comment_above(lines, number)
    return None


def _comment_above(lines: list[str], number: int) -> Span | None:
    end = number - 1
    if end < 1 or not lines[end - 1].strip():
        return None
    if lines[end - 1].strip().endswith("*/"):
        start = end
        while start > 1 and "/*" not in lines[start - 1]:
            start -= 1
        return start, end, _strip_block(lines[start - 1 : end])
    start = end
    while start > 1 and lines[start - 2].strip().startswith("//"):
        start -= 1
    if not lines[start - 1].strip().startswith("//"):
        return None
    return start, end, [_unprefix(line.strip()[2:]) for line in lines[start - 1 : end]]


def _java(lines: list[str]) -> Span | None:
    """``package-info.java``: the Javadoc above its ``package`` line."""
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith("package "):
            above = number - 1
            while above > 0 and lines[above - 1].strip().startswith("@"):
                above -= 1
            return _comment_above(lines, above + 1)
    return None


def _opening_comment(lines: list[str]) -> Span | None:
    """The first comment of a file that is not a license (C, C++, TypeScript, ...)."""
    number = 1
    while number <= len(lines):
        text = lines[number - 1].strip()
        if not text or text.startswith(("#pragma", "#ifndef", "#define", '"use strict"')):
            number += 1
            continue
        if text.startswith("/*"):
            span = _block_comment(lines, number)
        elif text.startswith("//"):
            end = number
            while end < len(lines) and lines[end].strip().startswith("//"):
                end += 1
            body = [_unprefix(line.strip().lstrip("/")) for line in lines[number - 1 : end]]
            span = (number, end, body)
        else:
            return None
        if span is None:
            return None
        if not _LICENSE.search(" ".join(span[2])):
            return span
        number = span[1] + 1
    return None


def _block_comment(lines: list[str], number: int) -> Span | None:
    for end in range(number, len(lines) + 1):
        if "*/" in lines[end - 1]:
            return number, end, _strip_block(lines[number - 1 : end])
    return None


def _strip_block(block: list[str]) -> list[str]:
    body = []
    for line in block:
        text = line.strip()
        text = re.sub(r"^/\*[*!]?", "", text)
        text = re.sub(r"\*/$", "", text).strip()
        text = re.sub(r"^\*\s?", "", text)
        if text.startswith("@") and not text.startswith(("@link", "@code")):
            continue  # Javadoc and JSDoc tags: @param, @packageDocumentation, ...
        body.append(text)
    return body


_EXTRACTORS: dict[str, Callable[[list[str]], Span | None]] = {
    ".rs": _rust,
    ".py": _python,
    ".pyi": _python,
    ".go": _go,
    ".java": _java,
    **{suffix: _opening_comment for suffix in (".ts", ".tsx", ".js", ".mjs", ".cjs", ".jsx")},
    **{suffix: _opening_comment for suffix in (".h", ".hh", ".hpp", ".hxx", ".c", ".cc")},
    **{suffix: _opening_comment for suffix in (".cpp", ".cxx", ".cs")},
}
