"""cocowiki as a library: build, verify, ask, explain_dirty and load_wiki on a real wiki,
their results against the ``--json`` of ``cw`` key for key, errors as CocowikiError,
nothing printed, and the repository a wiki was built from used by default."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from build_helpers import FIXTURES
from typer.testing import CliRunner

import cocowiki
from cocowiki.cli import app

CONFIG = "[index]\nuse_git = false\n[plan]\nmin_tokens = 0\n"


@dataclasses.dataclass(frozen=True)
class Built:
    repo: Path
    output: Path
    result: cocowiki.BuildResult
    phases: tuple[str, ...]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("api")
    repo = root / "repo"
    shutil.copytree(FIXTURES / "python", repo)
    output = root / "wiki"
    output.mkdir()
    (output / "config.toml").write_text(CONFIG)
    seen: list[tuple[str, int, int]] = []
    result = cocowiki.build(repo, output, progress=lambda *event: seen.append(event))
    return Built(repo, output, result, tuple(dict.fromkeys(phase for phase, _, _ in seen)))


def cw(*args: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(app, list(args))
    return done.exit_code, done.stdout, done.stderr


def test_build_returns_a_frozen_result_and_reports_progress(built: Built) -> None:
    result = built.result
    assert result.pages >= 2 and result.ok and result.verified == result.pages
    assert result.built_from == built.repo.resolve().as_posix()
    assert {"discover", "parse", "plan", "pages", "verify"} <= set(built.phases)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.pages = 0  # type: ignore[misc]
    manifest = json.loads((built.output / "manifest.json").read_text())
    assert manifest["built_from"] == result.built_from


def test_results_and_the_clis_json_match_key_for_key(built: Built) -> None:
    status, out, _ = cw("build", "--repo", str(built.repo), "--output", str(built.output), "--json")
    again = json.loads(out)
    assert status == 0
    assert list(again) == sorted(f.name for f in dataclasses.fields(cocowiki.BuildResult))
    assert cocowiki.from_json(cocowiki.BuildResult, again).pages_written == 0  # clean rebuild

    report = cocowiki.verify(built.output)
    status, out, _ = cw("verify", "--output", str(built.output), "--json")
    assert status == 0 and json.loads(out).keys() == cocowiki.to_json(report).keys()
    assert cocowiki.from_json(cocowiki.VerifyReport, cocowiki.to_json(report)) == report

    answer = cocowiki.ask(built.output, "area of a shape")
    status, out, _ = cw("ask", "area of a shape", "--output", str(built.output), "--json")
    assert status == 0
    assert json.loads(out)["evidence"] == cocowiki.to_json(answer)["evidence"]
    assert cocowiki.from_json(cocowiki.Answer, cocowiki.to_json(answer)) == answer


def test_verify_and_ask_read_the_repository_the_wiki_was_built_from(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # another folder: not the repository
    report = cocowiki.verify(built.output)
    assert report.ok and report.repo == report.built_from == built.result.built_from
    assert report.checks["citation"].checked > 0
    status, out, err = cw("verify", "--output", str(built.output), "--json")
    assert status == 0 and json.loads(out)["ok"] is True and err == ""
    answer = cocowiki.ask(built.output, "area of a shape", limit=3)
    assert answer.evidence and len(answer.evidence) <= 3
    assert all(not item.stale for item in answer.evidence)


def test_a_differing_repo_is_said_once(built: Built, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(built.repo, other)
    status, out, err = cw("verify", "--repo", str(other), "--output", str(built.output))
    assert status in (0, 1), out  # whatever the copy holds, the wiki is checked against it
    assert err.count("note: the wiki was built from") == 1 and str(other) in err


def test_explain_dirty_and_load_wiki(built: Built) -> None:
    wiki = cocowiki.load_wiki(built.output)
    assert wiki.built_from == built.result.built_from and wiki.pages[0].id == wiki.root
    assert len(wiki.pages) == built.result.pages
    assert wiki.markdown(wiki.root).startswith("#")
    symbols = [s for page in wiki.pages for f in page.files for s in wiki.lookup(Path(f).stem)]
    assert symbols is not None
    explanation = cocowiki.explain_dirty(built.output, wiki.root)
    assert explanation.status == "clean" and explanation.reasons == ()


def test_lookup_finds_a_symbol_and_its_page(built: Built) -> None:
    wiki = cocowiki.load_wiki(built.output)
    evidence = cocowiki.ask(built.output, "area of a shape").evidence[0]
    (symbol, *_) = wiki.lookup(evidence.name)
    assert symbol.citation == evidence.citation and symbol.page == evidence.page


def test_errors_are_cocowiki_errors_and_nothing_is_printed(
    tmp_path: Path, built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(cocowiki.BuildError):
        cocowiki.build(tmp_path / "missing")
    with pytest.raises(cocowiki.CocowikiError, match="run `cw build` first"):
        cocowiki.verify(tmp_path)
    with pytest.raises(cocowiki.AskError, match="the question is empty"):
        cocowiki.ask(built.output, "  ")
    with pytest.raises(cocowiki.ExplainError):
        cocowiki.explain_dirty(built.output, "no-such-page")
    with pytest.raises(cocowiki.CocowikiError):
        cocowiki.load_wiki(tmp_path)
    assert capsys.readouterr() == ("", "")
    assert issubclass(cocowiki.ConfigError, cocowiki.CocowikiError)
    assert issubclass(cocowiki.IndexingError, cocowiki.CocowikiError)


def test_the_functions_survive_their_subpackages_being_imported() -> None:
    import cocowiki.ask.command
    import cocowiki.verify.command

    assert callable(cocowiki.ask) and callable(cocowiki.verify)
    assert cocowiki.ask.__module__ == "cocowiki.api"
