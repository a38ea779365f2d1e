"""Internal links of the pages: each must lead somewhere that exists.

Links are relative to ``pages/``, as the build writes them and as any Markdown reader
follows them. A link with a scheme (the web, mail) is not checked here (verify makes no
network calls); a citation (a file link with ``#Lstart-Lend``) is checked with its digest
by :class:`~.citations.CitationCheck`. The rest:

* ``other.md`` and ``other.md#anchor``: a page of this wiki, and a heading of it;
* ``#anchor``: a heading of the same page;
* any other relative link: a file or folder inside the repository or the wiki.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..viewer.markdown import Citation, LinkContext, citation_of
from .failures import Failure, Tally
from .pagescan import PageScan
from .wiki import BuiltWiki, WikiPage


class LinkResolver:
    """Which links of a wiki's pages are citations (read as the viewer reads them).

    A link's target is resolved once, however many checks and pages ask.
    """

    def __init__(self, wiki: BuiltWiki) -> None:
        self.context = LinkContext(wiki.pages_dir, wiki.repo, frozenset(wiki.by_id()))
        self._citations: dict[str, Citation | None] = {}

    def citation(self, href: str) -> Citation | None:
        if href not in self._citations:
            self._citations[href] = citation_of(href, self.context)
        return self._citations[href]


class LinkCheck:
    """Resolves the links of each page of one wiki against its pages and the repository."""

    def __init__(self, wiki: BuiltWiki, scans: dict[str, PageScan], resolver: LinkResolver) -> None:
        self.wiki = wiki
        self.scans = scans
        self.resolver = resolver

    def run(self, page: WikiPage) -> Tally:
        """Every link of ``page`` to a page, a heading or a file (citations aside)."""
        scan = self.scans.get(page.id)
        tally = Tally()
        if scan is None:
            return tally
        for link in scan.links:
            parts = urlsplit(link.href)
            if parts.scheme or parts.netloc or self.resolver.citation(link.href) is not None:
                continue
            tally.checked += 1
            problem = self.problem(scan, unquote(parts.path), unquote(parts.fragment))
            if problem is not None:
                where = f"{page.path}:{link.line}"
                tally.failures.append(Failure(page.id, "link", f"{problem}: {link.href}", where))
        return tally

    def problem(self, scan: PageScan, path: str, fragment: str) -> str | None:
        """Why a link of the page ``scan`` is from does not resolve, or None."""
        if not path and not fragment:
            return "a link to nothing"
        if not path:
            return None if fragment in scan.anchors else "no heading has this anchor on the page"
        pages = self.wiki.pages_dir
        target = Path(os.path.normpath(pages / path))
        if target.parent == pages and target.suffix == ".md":
            other = self.scans.get(target.stem)
            if other is None:
                return "no such page in the wiki"
            if fragment and fragment not in other.anchors:
                return "no heading of that page has this anchor"
            return None
        if not self._inside(target):
            return "leads out of the repository"
        if not target.exists():
            return "no such file"
        if not self._inside(target.resolve()):
            return "leads out of the repository (through a symbolic link)"
        return None

    def _inside(self, target: Path) -> bool:
        return target.is_relative_to(self.wiki.repo) or target.is_relative_to(self.wiki.output)
