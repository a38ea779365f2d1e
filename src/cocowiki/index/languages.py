"""The language registry: which files are source, and the tree-sitter grammar for each.

Grammars come from the per-language wheels (``tree-sitter-python`` and friends), which
bundle compiled parsers and need no network. They are loaded lazily and once per process,
so a parser worker pays only for the languages it meets.

``.h`` is ambiguous between C and C++: it is parsed as C++ when it contains C++-only
syntax (classes, namespaces, templates, access labels), as C otherwise.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

from tree_sitter import Language, Parser, Query


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """A supported language: its name, its grammar's module and loader function."""

    name: str
    module: str
    loader: str
    extensions: tuple[str, ...]


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec("python", "tree_sitter_python", "language", (".py", ".pyi")),
    LanguageSpec("rust", "tree_sitter_rust", "language", (".rs",)),
    LanguageSpec(
        "javascript", "tree_sitter_javascript", "language", (".js", ".mjs", ".cjs", ".jsx")
    ),
    LanguageSpec(
        "typescript", "tree_sitter_typescript", "language_typescript", (".ts", ".mts", ".cts")
    ),
    LanguageSpec("tsx", "tree_sitter_typescript", "language_tsx", (".tsx",)),
    LanguageSpec("go", "tree_sitter_go", "language", (".go",)),
    LanguageSpec("java", "tree_sitter_java", "language", (".java",)),
    LanguageSpec("c", "tree_sitter_c", "language", (".c", ".h")),
    LanguageSpec(
        "cpp",
        "tree_sitter_cpp",
        "language",
        (".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp", ".tpp", ".inl"),
    ),
    LanguageSpec("csharp", "tree_sitter_c_sharp", "language", (".cs",)),
)

BY_NAME: dict[str, LanguageSpec] = {spec.name: spec for spec in LANGUAGES}
BY_EXTENSION: dict[str, str] = {
    extension: spec.name for spec in LANGUAGES for extension in spec.extensions
}

#: Languages whose names can refer to each other's components (one family, one namespace).
FAMILIES: dict[str, str] = {
    "python": "python",
    "rust": "rust",
    "javascript": "js",
    "typescript": "js",
    "tsx": "js",
    "go": "go",
    "java": "java",
    "c": "c",
    "cpp": "c",
    "csharp": "csharp",
}

HEADER_EXTENSIONS: frozenset[str] = frozenset({".h", ".hpp", ".hh", ".hxx", ".h++"})

_CPP_MARKERS = re.compile(
    rb"^\s*(?:class\s+\w+[^;]*$|namespace\s+\w*\s*\{?|template\s*<|(?:public|private|protected)\s*:"
    rb"|using\s+namespace\b)",
    re.MULTILINE,
)


def language_for_path(path: str) -> str | None:
    """The language a file is written in by its extension, or ``None`` if unsupported."""
    suffix = PurePosixPath(path).suffix.lower()
    if path.endswith(".d.ts"):
        return "typescript"
    return BY_EXTENSION.get(suffix)


def refine_language(path: str, language: str, content: bytes) -> str:
    """Settle what the extension leaves open: a ``.h`` with C++ syntax is C++."""
    if language == "c" and path.lower().endswith(".h") and _CPP_MARKERS.search(content):
        return "cpp"
    return language


@cache
def grammar(name: str) -> Language:
    """The tree-sitter language object for a registered language (loaded once)."""
    spec = BY_NAME[name]
    module = importlib.import_module(spec.module)
    loader: Callable[[], object] = getattr(module, spec.loader)
    return Language(loader())


@cache
def parser(name: str) -> Parser:
    """A parser for one language, reused within a process (parsers are not thread-safe)."""
    return Parser(grammar(name))


@cache
def query(name: str, source: str) -> Query:
    """A compiled query, cached because compiling one takes milliseconds."""
    return Query(grammar(name), source)


def available_languages() -> list[str]:
    """Names of the languages whose grammar wheel is installed."""
    names = []
    for spec in LANGUAGES:
        try:
            grammar(spec.name)
        except ImportError:
            continue
        names.append(spec.name)
    return names
