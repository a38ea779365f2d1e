"""``index.html``: the whole viewer in one file that works from ``file://`` with no network.

The page is a template (``assets/viewer.html``) with the stylesheet, the script, the
site's data (JSON) and mermaid's browser bundle inlined. Nothing is fetched at run time,
so the file can be opened from disk, mailed or archived as it is.

Two things could end a ``<script>`` element early or open an HTML comment inside it:
``</script`` and ``<!--``. In the JSON every ``<``, ``>`` and ``&`` is written as a
``\\u`` escape; in mermaid's bundle the ``<`` of those two sequences is written ``\\x3C``,
which means the same inside the string and regular-expression literals where it occurs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import orjson

from tiffany.atomic import write_if_changed

from ..mermaid import MermaidUnavailable, find_node_modules
from .site import gather_site

INDEX_NAME = "index.html"
MERMAID_BUNDLE = Path("mermaid") / "dist" / "mermaid.min.js"
ASSETS = Path(__file__).parent / "assets"

_SCRIPT_HAZARD = re.compile(r"<(?=/script|!--)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MermaidBundle:
    """Mermaid's browser bundle, or why the viewer shows diagram sources instead."""

    script: str | None
    message: str | None = None


def load_mermaid_bundle() -> MermaidBundle:
    """``mermaid.min.js`` from the project's node_modules, or the reason it is missing."""
    try:
        path = find_node_modules() / MERMAID_BUNDLE
        return MermaidBundle(path.read_text(encoding="utf-8"))
    except MermaidUnavailable as error:
        reason = str(error)
    except OSError as error:
        reason = f"mermaid's browser bundle cannot be read ({error}); run `npm ci` again"
    return MermaidBundle(
        None,
        "Diagrams are shown as Mermaid source because this viewer was built without "
        f"mermaid: {reason}. Then run `cw build` again.",
    )


def write_viewer(output: Path, repo: Path) -> bool:
    """Write ``<output>/index.html`` for the wiki built there; True when it changed.

    Raises :class:`~.manifest.ViewerError` when ``output`` holds no built wiki.
    """
    site = gather_site(output, repo)
    document = render_document(site, load_mermaid_bundle())
    return write_if_changed(output / INDEX_NAME, document)


def render_document(site: dict[str, Any], mermaid: MermaidBundle) -> bytes:
    """The HTML of the viewer for ``site`` (see :func:`.site.gather_site`), in UTF-8.

    Made as bytes throughout: the data is tens of megabytes, and decoding it to text only
    to encode it again for the file costs a few tenths of a second.
    """
    data = dict(site, mermaid={"available": mermaid.script is not None, "message": mermaid.message})
    parts = {
        b"TITLE": escape(str(site.get("title") or "wiki")).encode(),
        b"STYLE": _asset("viewer.css").encode(),
        b"DATA": script_json(data),
        b"MERMAID": script_source(mermaid.script or "").encode(),
        b"SCRIPT": script_source(_asset("viewer.js")).encode(),
    }
    return re.sub(
        rb"<!--cocowiki:(\w+)-->",
        lambda match: parts[match.group(1)],
        _asset("viewer.html").encode(),
    )


def script_json(value: Any) -> bytes:
    """``value`` as JSON (UTF-8) that is safe between ``<script>`` tags.

    The same text as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"),
    sort_keys=True)`` with the three characters escaped, made by orjson: a large wiki's
    data is tens of megabytes, which the standard library takes over a second to write.
    """
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return data.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


def script_source(code: str) -> str:
    """JavaScript made safe to inline: no ``</script`` or ``<!--`` left in it."""
    return _SCRIPT_HAZARD.sub(r"\\x3C", code)


def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")
