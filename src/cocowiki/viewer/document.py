"""``index.html``: the whole viewer in one file that works from ``file://`` with no network.

The page is a template (``assets/viewer.html``) with the stylesheet, the script, the
site's data (JSON, :mod:`.site`) and mermaid's browser bundle inlined, put together from
pieces kept from the last write (:mod:`.pieces`). Nothing is fetched at run time,
so the file can be opened from disk, mailed or archived as it is.

Two things could end a ``<script>`` element early or open an HTML comment inside it:
``</script`` and ``<!--``. In the JSON every ``<``, ``>`` and ``&`` is written as a
``\\u`` escape; in mermaid's bundle the ``<`` of those two sequences is written ``\\x3C``,
which means the same inside the string and regular-expression literals where it occurs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from ..mermaid import MermaidUnavailable, find_mermaid
from .manifest import read_manifest
from .pieces import Assembly, Piece, PieceStore
from .site import site_title, write_data
from .sources import FileContent, KnownFiles

INDEX_NAME = "index.html"
ASSETS = Path(__file__).parent / "assets"

_SCRIPT_HAZARD = re.compile(r"<(?=/script|!--)", re.IGNORECASE)
_PLACEHOLDER = re.compile(rb"<!--cocowiki:(\w+)-->")


@dataclass(frozen=True, slots=True)
class MermaidBundle:
    """Mermaid's browser bundle (its real path, and its bytes when they were read), or why
    the viewer shows diagram sources instead."""

    path: str | None
    content: FileContent | None = None
    message: str | None = None

    @property
    def state(self) -> dict[str, Any]:
        """What the viewer's data says about mermaid."""
        return {"available": self.path is not None, "message": self.message}


def load_mermaid_bundle(known: KnownFiles | None = None) -> MermaidBundle:
    """``mermaid.min.js`` of the mermaid found (:func:`~cocowiki.mermaid.find_mermaid`: the
    package's bundle or a node_modules folder), or the reason it is missing.

    Its digest comes from ``known`` when that remembers the file (3 MB that need not be
    read when the viewer already holds them)."""
    try:
        path = os.path.realpath(find_mermaid().browser_bundle)
        return MermaidBundle(path, (known or KnownFiles()).content(path, os.stat(path)))
    except MermaidUnavailable as error:
        reason = str(error)
    except OSError as error:
        reason = f"mermaid's browser build cannot be read ({error}); install cocowiki again"
    return MermaidBundle(
        None,
        message="Diagrams are shown as Mermaid source because this viewer was built without "
        f"mermaid: {reason}. Then run `cw build` again.",
    )


def write_viewer(output: Path, repo: Path) -> bool:
    """Write ``<output>/index.html`` for the wiki built there; True when it changed.

    Only the pieces whose inputs changed since the last write are made again (see
    :mod:`.pieces`); the file is the same, byte for byte, as one made from nothing.
    Raises :class:`~.manifest.ViewerError` when ``output`` holds no built wiki.
    """
    output, repo = output.resolve(), repo.resolve()
    manifest = read_manifest(output)
    with PieceStore(output / INDEX_NAME) as store:
        mermaid = load_mermaid_bundle(store.files)
        doc = Assembly(store)
        fill = {
            b"TITLE": lambda: doc.literal(escape(site_title(manifest, repo)).encode()),
            b"STYLE": lambda: doc.literal(_asset("viewer.css").encode()),
            b"DATA": lambda: write_data(doc, output, repo, manifest, mermaid.state),
            b"MERMAID": lambda: _mermaid(doc, mermaid),
            b"SCRIPT": lambda: doc.literal(script_source(_asset("viewer.js")).encode()),
        }
        for n, segment in enumerate(_PLACEHOLDER.split(_asset("viewer.html").encode())):
            if n % 2:
                fill[segment]()
            else:
                doc.literal(segment)
        return doc.write()


def _mermaid(doc: Assembly, mermaid: MermaidBundle) -> None:
    """Mermaid's bundle made safe to inline, a piece kept by the bundle's digest."""
    if mermaid.path is None or mermaid.content is None:
        return
    piece = doc.store.reuse("m" + mermaid.content.digest)
    if piece is None:  # read it now, and key it by what was read
        content = mermaid.content if mermaid.content.data else FileContent.read(mermaid.path)
        script = (content.data or b"").decode("utf-8", "replace")
        piece = Piece("m" + content.digest, script_source(script).encode())
    doc.piece(piece)


def script_source(code: str) -> str:
    """JavaScript made safe to inline: no ``</script`` or ``<!--`` left in it."""
    return _SCRIPT_HAZARD.sub(r"\\x3C", code)


def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")
