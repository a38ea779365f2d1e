"""Mermaid parse results kept in the output directory, by content, for builds and verify.

Whether a diagram parses is a function of its text and of the parser alone (the
``mermaid`` and ``jsdom`` packages and cocowiki's checker script,
:func:`cocowiki.mermaid.parser_id`). So a result is kept under
``sha256(parser id, text)``: the same text under the same parser gets the same answer
without node, and a different text or a different parser finds nothing and is parsed.
Parsing a large wiki's diagrams takes a minute; looking them up, milliseconds.

Results are grouped by the page they were checked for, so the file holds what the
wiki's pages show now: a page built again replaces its group, a page that is gone loses
it. Only parser answers are kept (an error message or None), never "could not be
checked". The file, ``<output>/.mermaid-cache.json``, is written atomically and only
when it changes; a build killed before writing it leaves the last one, whose answers
are still true.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from tiffany.atomic import write_if_changed

from .mermaid import MermaidUnavailable, parser_id

CACHE_FILE = ".mermaid-cache.json"
FORMAT = 1

#: Answers of one page: key of a diagram -> None (it parses) or the parser's message.
Answers = dict[str, str | None]


class DiagramCache:
    """The parse answers of ``<output>/.mermaid-cache.json`` under one parser.

    ``parser`` None (mermaid not installed, so the parser is unknown) makes a cache that
    knows nothing and records nothing.
    """

    def __init__(self, path: Path, parser: str | None, pages: dict[str, Answers]) -> None:
        self.path = path
        self.parser = parser
        self.pages = pages
        self._known: Answers | None = None

    @classmethod
    def load(cls, output: Path, parser: str | None = None) -> DiagramCache:
        """The cache of ``output`` for ``parser`` (default: the installed one); answers
        kept under another parser, or in a file that cannot be read, are left out."""
        path = output / CACHE_FILE
        if parser is None:
            try:
                parser = parser_id()
            except MermaidUnavailable:
                return cls(path, None, {})
        try:
            stored = json.loads(path.read_bytes())
        except (OSError, ValueError):
            stored = None
        usable = (
            isinstance(stored, dict)
            and stored.get("format") == FORMAT
            and stored.get("parser") == parser
            and isinstance(stored.get("pages"), dict)
        )
        return cls(path, parser, _answers(stored["pages"]) if usable else {})

    def __len__(self) -> int:
        return len(self._answers())

    def key(self, text: str) -> str:
        assert self.parser is not None
        return hashlib.sha256(f"{self.parser}\n{text}".encode()).hexdigest()

    def known(self, texts: Iterable[str]) -> dict[str, str | None]:
        """The answers of those of ``texts`` parsed before under this parser."""
        if self.parser is None:
            return {}
        answers = self._answers()
        found: dict[str, str | None] = {}
        for text in texts:
            key = self.key(text)
            if key in answers:
                found[text] = answers[key]
        return found

    def record(self, page: str, answers: Mapping[str, str | None]) -> None:
        """Keep the parser's ``answers`` (text -> message or None) as ``page``'s, in place
        of what the page had."""
        if self.parser is None:
            return
        self.pages[page] = {self.key(text): error for text, error in answers.items()}
        self._known = None

    def keep(self, pages: Iterable[str]) -> None:
        """Forget the answers of every page not in ``pages``."""
        wanted = set(pages)
        self.pages = {page: answers for page, answers in self.pages.items() if page in wanted}
        self._known = None

    def save(self) -> bool:
        """Write the file if its bytes change; True when written."""
        if self.parser is None:
            return False
        data = {"format": FORMAT, "parser": self.parser, "pages": self.pages}
        return write_if_changed(self.path, json.dumps(data, sort_keys=True, indent=0) + "\n")

    def _answers(self) -> Answers:
        if self._known is None:
            self._known = {key: e for answers in self.pages.values() for key, e in answers.items()}
        return self._known


def _answers(pages: Mapping[object, object]) -> dict[str, Answers]:
    """The well-formed part of a stored ``pages`` object (a hand-edited file loses the rest)."""
    kept: dict[str, Answers] = {}
    for page, answers in pages.items():
        if isinstance(page, str) and isinstance(answers, dict):
            kept[page] = {
                str(key): error
                for key, error in answers.items()
                if error is None or isinstance(error, str)
            }
    return kept
