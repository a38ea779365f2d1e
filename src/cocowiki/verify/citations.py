"""Citations of the pages, checked against the repository as it is now.

Checked for each page: every citation its sections recorded and every citation link in
the page itself. The file must exist in the repository, the lines must exist, and the
SHA-256 of their text must equal the digest recorded at build time
(:func:`~cocowiki.pages.verification.citation_fault`, the build's own check). A citation
link the build did not record has no digest to compare with, and fails as such.
"""

from __future__ import annotations

from ..pages.artifacts import Citation
from ..pages.sources import SourceReader
from ..pages.verification import citation_fault
from .failures import Failure, Tally
from .links import LinkResolver
from .pagescan import PageScan
from .wiki import WikiPage


class CitationCheck:
    """Citations of every page against the files of the repository now.

    A citation shared by several pages is read and hashed once.
    """

    def __init__(self, links: LinkResolver, reader: SourceReader) -> None:
        self.links = links
        self.reader = reader
        self._faults: dict[Citation, str | None] = {}

    def run(self, page: WikiPage, scan: PageScan | None) -> Tally:
        recorded = {(c.path, c.start, c.end): c for s in page.sections for c in s.citations}
        tally = Tally(len(recorded))
        for citation in recorded.values():
            fault = self._fault(citation)
            if fault is not None:
                tally.failures.append(Failure(page.id, "citation", fault, citation.label))
        linked = {
            (c.path, c.start, c.end)
            for link in (scan.links if scan is not None else ())
            if (c := self.links.citation(link.href)) is not None
        }
        for path, start, end in sorted(linked - set(recorded)):
            tally.checked += 1
            detail = "not recorded by the build, so its text cannot be checked; run `cw build`"
            tally.failures.append(Failure(page.id, "citation", detail, f"{path}:{start}-{end}"))
        return tally

    def _fault(self, citation: Citation) -> str | None:
        if citation not in self._faults:
            self._faults[citation] = citation_fault(self.reader, citation)
        return self._faults[citation]
