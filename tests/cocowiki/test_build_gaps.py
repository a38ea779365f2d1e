"""The completeness gate: each module's known gaps, in the build's JSON, the manifest and
the viewer's data, kept for a page that is not built again."""

from __future__ import annotations

import json
from pathlib import Path

from build_helpers import build, checker_fixture, needs_mermaid  # noqa: F401
from test_incremental import make_shop

from cocowiki.mermaid import MermaidChecker

pytestmark = needs_mermaid


def test_gaps_per_module_in_the_json_and_manifest_and_kept_on_reuse(
    tmp_path: Path, checker: MermaidChecker
) -> None:
    repo = make_shop(tmp_path)
    (repo / "util" / "numbers.py").write_text(
        '"""Numbers."""\n\nimport os\n\n\n'
        "def clamp(value: int, low: int, high: int) -> int:\n"
        '    """``value`` kept between ``low`` and ``high``."""\n'
        "    return max(low, min(value, high))\n\n\n"
        "def limit() -> int:\n"
        '    if "LIMIT" not in os.environ:\n'
        '        raise KeyError("LIMIT")\n'
        '    return int(os.environ["LIMIT"])\n'
    )
    output = tmp_path / "out"
    summary = build(repo, output, checker).summary()
    util = {gap["kind"]: gap for gap in summary["gaps"]["util"]}
    assert util["undocumented"]["components"] == ["util/numbers.py#limit"]
    assert util["no_callers"]["components"] == ["util/numbers.py#limit"]
    assert util["errors"]["components"] == ["util/numbers.py:13"]
    assert util["configuration"]["components"] == ["util/numbers.py:12", "util/numbers.py:14"]
    assert util["untested"]["detail"] == "no test file references the module"
    assert all(gap["closed_by"] is None for gap in util.values())
    assert summary["known_gaps"] == sum(len(gaps) for gaps in summary["gaps"].values())
    assert summary["gaps_closed"] == 0
    manifest = json.loads((output / "manifest.json").read_text())
    entry = next(page for page in manifest["pages"] if page["id"] == "util")
    assert [gap["kind"] for gap in entry["gaps"]] == list(util)
    research = json.loads((output / "artifacts/research/util.json").read_text())
    assert [gap["kind"] for gap in research["gaps"]] == list(util)

    again = build(repo, output, checker)
    assert again.recomputed == []
    assert again.summary()["gaps"] == summary["gaps"]


def test_the_viewer_lists_a_pages_known_gaps(tmp_path: Path, checker: MermaidChecker) -> None:
    from cocowiki.viewer.manifest import read_manifest

    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    build(repo, output, checker)
    pages = {page.id: page for page in read_manifest(output).pages}
    assert any(line.startswith("untested: ") for line in pages["util"].gaps)
    assert "Known gaps" in (output / "index.html").read_text()
