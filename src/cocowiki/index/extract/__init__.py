"""Per-language extraction of components and references from one file.

:func:`extract_file` is the single entry: it picks the extractor for the file's language
and never raises for bad input; a file the grammar cannot fully parse yields what its
valid parts give plus :class:`~..model.ParseError` records.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import FileExtraction, IndexWarning
from .base import Extractor, FileContext
from .c_cpp import CExtractor
from .csharp import CSharpExtractor
from .go import GoExtractor
from .java import JavaExtractor
from .javascript_typescript import JavaScriptExtractor
from .python import PythonExtractor
from .rust import RustExtractor

EXTRACTORS: dict[str, type[Extractor]] = {
    "python": PythonExtractor,
    "rust": RustExtractor,
    "go": GoExtractor,
    "java": JavaExtractor,
    "csharp": CSharpExtractor,
    "c": CExtractor,
    "javascript": JavaScriptExtractor,
    "typescript": JavaScriptExtractor,
    "tsx": JavaScriptExtractor,
    "cpp": CExtractor,
}


def extract_file(
    context: FileContext, source: bytes, warnings: tuple[IndexWarning, ...] = ()
) -> FileExtraction:
    """Extract one file's components and references, attaching the file's warnings."""
    extractor = EXTRACTORS[context.language](context, source)
    extraction = extractor.run()
    if warnings:
        extraction = replace(extraction, warnings=extraction.warnings + warnings)
    return extraction


__all__ = ["EXTRACTORS", "FileContext", "extract_file"]
