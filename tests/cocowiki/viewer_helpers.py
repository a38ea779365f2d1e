"""A small built wiki, made by hand the way ``cw build`` lays one out, for the viewer tests.

The repository is a copy of ``fixtures/python`` plus a file full of markup that must stay
text; the output has a real ``catalog.sqlite`` from the indexer, three pages (a
flowchart, a class diagram, a sequence diagram, citations into the repository) and a
``manifest.json`` in the build's layout.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from cocowiki.index import IndexConfig, index_repository

FIXTURES = Path(__file__).parent / "fixtures"

HOSTILE_SOURCE = '''"""Markup that must be shown, never run."""

SNIPPET = "</script><script>window.pwned = 1</script>"
COMMENT = "<!-- <script> -->"


def render() -> str:
    return "<b>not bold</b>"
'''

OVERVIEW = """# Overview

The fixture repository draws shapes. Its entry point is `main`
([app.py:7-9](../../repo/app.py#L7-L9)); the shapes live in [the shapes module](shapes.md).

```mermaid
flowchart TD
  app[app.py] --> shapes[shapes]
  shapes --> circle[shapes.circle]
```

Pages may quote markup: </script><script>window.pwned = 2</script> and <b>tags</b>.
"""

SHAPES = """# shapes

Every shape derives from `Shape` ([shapes/base.py:27-38](../../repo/shapes/base.py#L27-L38)),
which has an area ([shapes/base.py:33-35](../../repo/shapes/base.py#L33-L35)).

```mermaid
classDiagram
  class Shape {
    +color: Color
    +area() Number
  }
  class Circle
  Shape <|-- Circle
```

| Component | Kind |
| --- | --- |
| `Shape` | class |
"""

CIRCLE = """# shapes.circle

`Circle` ([shapes/circle.py:9-20](../../repo/shapes/circle.py#L9-L20)) squares its radius
with `square` ([shapes/circle.py:24-26](../../repo/shapes/circle.py#L24-L26)). Some markup
is quoted in [hostile.py:3-4](../../repo/hostile.py#L3-L4).

```mermaid
sequenceDiagram
  participant main
  participant Circle
  main->>Circle: area()
  Circle-->>main: float
```

```python
print("an ordinary code block")
```
"""


@dataclass(frozen=True)
class BuiltWiki:
    repo: Path
    output: Path

    @property
    def index(self) -> Path:
        return self.output / "index.html"


def make_wiki(root: Path) -> BuiltWiki:
    """Lay out ``root/repo`` and ``root/out`` as after ``cw build``."""
    repo = root / "repo"
    output = root / "out"
    shutil.copytree(FIXTURES / "python", repo)
    (repo / "hostile.py").write_text(HOSTILE_SOURCE)
    index_repository(repo, output, IndexConfig(use_git=False))
    pages = output / "pages"
    pages.mkdir()
    entries = []
    for page_id, title, parent, children, text, status, problems, files in [
        ("overview", "Overview", None, ["shapes"], OVERVIEW, "verified", [], ["app.py"]),
        (
            "shapes",
            "shapes",
            "overview",
            ["shapes_circle"],
            SHAPES,
            "verified",
            [],
            ["shapes/base.py"],
        ),
        (
            "shapes_circle",
            "shapes.circle",
            "shapes",
            [],
            CIRCLE,
            "unverified",
            ["citation shapes/circle.py:40-41 is past the end of the file"],
            ["shapes/circle.py", "hostile.py"],
        ),
    ]:
        (pages / f"{page_id}.md").write_text(text)
        entries.append(
            {
                "id": page_id,
                "title": title,
                "parent": parent,
                "children": children,
                "path": f"pages/{page_id}.md",
                "files": [
                    {
                        "path": path,
                        "digest": "0" * 64,
                        "lines": len((repo / path).read_text().splitlines()),
                    }
                    for path in files
                ],
                "counts": {"components": 1, "citations": text.count("#L"), "diagrams": 1},
                "status": status,
                "problems": problems,
            }
        )
    manifest = {
        "version": 1,
        "tool": {"name": "cocowiki", "version": "0.1.0"},
        "repository": {"path": str(repo), "revision": "0123456789abcdef", "dirty": False},
        "root": "overview",
        "pages": entries,
        "excluded": {},
        "timings": {},
    }
    (output / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return BuiltWiki(repo, output)
