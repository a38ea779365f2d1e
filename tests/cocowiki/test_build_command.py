"""The ``cw build`` hook: JSON and human summaries, --strict, config.toml, clear errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from build_helpers import SMALL_PAGES, copy_fixture, needs_mermaid

from cocowiki.mermaid import NODE_MODULES_VARIABLE
from cocowiki.pages import run_build_command


def _run(*args: object, **kwargs: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_build_command(*args, stdout=out, stderr=err, **kwargs)  # type: ignore[arg-type]
    return status, out.getvalue(), err.getvalue()


@needs_mermaid
def test_json_then_human_summary(tmp_path: Path) -> None:
    repo = copy_fixture("rust", tmp_path)
    status, out, err = _run(repo, tmp_path / "out", as_json=True, config=SMALL_PAGES)
    assert (status, err) == (0, "")
    summary = json.loads(out)
    assert summary["pages"] == summary["pages_written"] == summary["verified"] == 1
    assert summary["unverified"] == 0 and summary["unverified_pages"] == {}
    assert summary["citations"] > 10 and summary["diagrams"] >= 2
    assert summary["manifest_written"] is True and summary["viewer_written"] is True
    assert {"index", "plan", "pages", "verify", "viewer", "total"} <= set(summary["timings"])

    status, out, err = _run(repo, tmp_path / "out", config=SMALL_PAGES, strict=True)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[1].startswith("pages: 1 (0 written, 1 unchanged, 0 removed)")
    assert lines[2].startswith("verified 1, unverified 0;")
    assert lines[-1].startswith(f"manifest unchanged, viewer unchanged: {tmp_path / 'out'}")


def test_strict_fails_on_unverified_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NODE_MODULES_VARIABLE, str(tmp_path / "nowhere"))
    repo = copy_fixture("python", tmp_path)
    status, out, err = _run(repo, tmp_path / "out", config=SMALL_PAGES, strict=True)
    assert status == 1
    assert "unverified shapes: diagrams 1, 2 and 3 not checked: see above" in out
    assert out.count("diagrams not checked: COCOWIKI_NODE_MODULES=") == 1  # once per build
    assert err == "cw build: 2 pages are not verified (--strict)\n"
    status, _, _ = _run(repo, tmp_path / "out", config=SMALL_PAGES)
    assert status == 0  # without --strict an unverified page is reported, not fatal


def test_config_toml_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NODE_MODULES_VARIABLE, str(tmp_path / "nowhere"))
    repo = copy_fixture("python", tmp_path)
    output = tmp_path / "out"
    output.mkdir()
    (output / "config.toml").write_text("[index]\nuse_git = false\n[plan]\nmin_tokens = 0\n")
    status, out, _ = _run(repo, output, as_json=True)
    assert status == 0 and json.loads(out)["pages"] == 2
    (output / "config.toml").write_text("[plan]\nmin_token = 0\n")
    status, _, err = _run(repo, output)
    assert status == 2
    assert err.startswith("cw build: error: ") and "unknown key 'min_token'" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("as_json", [False, True])
def test_bad_input_is_one_line_and_status_2(tmp_path: Path, as_json: bool) -> None:
    missing = tmp_path / "missing"
    status, out, err = _run(missing, None, as_json=as_json)
    assert status == 2
    message = f"repository path does not exist: {missing}"
    if as_json:
        assert json.loads(out) == {"error": message} and err == ""
    else:
        assert err == f"cw build: error: {message}\n" and out == ""
    a_file = tmp_path / "file.py"
    a_file.write_text("x = 1\n")
    status, _, err = _run(a_file, tmp_path / "out")
    assert status == 2 and "not a directory" in err and len(err.splitlines()) == 1


def test_output_may_not_be_the_repository(tmp_path: Path) -> None:
    repo = copy_fixture("python", tmp_path)
    status, _, err = _run(repo, repo, config=SMALL_PAGES)
    assert status == 2
    assert err == (
        f"cw build: error: the output directory is the repository itself ({repo.resolve()}); "
        "use a subdirectory such as .cocowiki\n"
    )
    assert not (repo / "catalog.sqlite").exists()


def test_help_shows_the_config_sections_it_names() -> None:
    """Rich reads ``[writer]`` as markup and would drop it from the help."""
    from typer.testing import CliRunner

    from cocowiki.cli import app

    runner = CliRunner()
    for command, section in [("build", "[writer] model"), ("plan", "[plan]"), ("ask", "[writer]")]:
        done = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert done.exit_code == 0, done.output
        assert section in done.output, command
