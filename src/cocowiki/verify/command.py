"""``cw verify`` and ``cw research validate-footprints`` as plain functions returning an
exit status, so the CLI only forwards to them.

Exit statuses: 0 when every check holds, 1 when any fails (each failure is listed as
``page: kind: detail (where)``), 2 when there is nothing to check (no wiki: run
``cw build``; a repository or artifact that does not exist; a bad ``config.toml``). On a
terminal a progress bar shows each phase; ``--json`` prints one JSON object instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from ..config import ConfigError, load_config
from ..console import EXIT_OK, report_error, terminal_progress
from ..errors import CocowikiError
from ..index import IndexConfig
from ..pages.artifacts import ResearchArtifact, ResearchQuestionArtifact, load_artifact
from ..pages.store import ARTIFACTS_DIR
from ..pages.verification import DiagramChecker
from ..paths import output_dir
from ..results import VerifyReport, to_json
from .failures import Failure, Tally
from .replay import Replayer
from .treeindex import current_index
from .wiki import VerifyError, check_repository

EXIT_FAILED = 1


def run_verify_command(
    repo: Path | None = None,
    output: Path | None = None,
    *,
    as_json: bool = False,
    index_config: IndexConfig | None = None,
    diagram_checker: DiagramChecker | None = None,
    diagram_cache: bool = True,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Verify the wiki in ``output`` against ``repo`` (default: the current directory).

    ``index_config`` defaults to the wiki's ``config.toml``; ``diagram_checker`` replaces
    the mermaid process verify starts (to share one across runs); ``diagram_cache=False``
    parses every diagram again instead of reusing the answers the build kept.
    """
    from ..api import verify_with  # the library's verify; it imports this package

    out, err = stdout or sys.stdout, stderr or sys.stderr
    output_path = output_dir(repo, output)
    try:
        repo_path = repository_of(output_path, repo)
        config = index_config or load_config(output_path).index
        with terminal_progress(as_json, err) as update:
            report = verify_with(
                repo_path,
                output_path,
                index_config=config,
                progress=update,
                diagram_checker=diagram_checker,
                diagram_cache=diagram_cache,
            )
    except CocowikiError as exc:
        return report_error("verify", str(exc), as_json, out, err)
    if as_json:
        out.write(json.dumps(to_json(report)) + "\n")
    else:
        out.write(format_report(report))
    note_other_repository("verify", report.built_from, Path(report.repo), err)
    return EXIT_OK if report.ok else EXIT_FAILED


def repository_of(output: Path, repo: Path | None) -> Path:
    """The repository a command reads: ``--repo``, else the one the wiki in ``output`` was
    built from, else (no wiki yet) the current directory."""
    from ..api import built_from_of, source_of

    if repo is not None or built_from_of(output) is None:
        return repo if repo is not None else Path.cwd()
    return source_of(output)


def note_other_repository(command: str, built_from: str, repo: Path, err: TextIO) -> None:
    """Say once, on stderr, that ``repo`` is not the repository the wiki was built from."""
    if built_from and Path(built_from).resolve() != repo.resolve():
        err.write(f"cw {command}: note: the wiki was built from {built_from}, not {repo}\n")


def format_report(report: VerifyReport) -> str:
    """Why diagrams could not be checked (once), each failure on a line, then what was
    checked and the verdict."""
    reason = report.diagrams_not_checked
    lines = [f"diagrams not checked: {reason}"] if reason else []
    lines += [str(failure) for failure in report.failures]
    counts = ", ".join(
        f"{check.checked} {_NOUNS.get(kind, kind)}"
        + (f" ({check.failed} failed)" if check.failed else "")
        for kind, check in report.checks.items()
    )
    lines.append(f"checked {counts}")
    seconds = report.timings.get("total", 0.0)
    if report.ok:
        lines.append(f"verified: every check holds ({seconds:.2f}s)")
    else:
        failed = len(report.failures)
        lines.append(
            f"FAILED: {failed} {'failure' if failed == 1 else 'failures'} on "
            f"{len(report.pages_failed)} of {report.pages} pages ({seconds:.2f}s)"
        )
    return "\n".join(lines) + "\n"


_NOUNS: dict[str, str] = {
    "page": "pages",
    "citation": "citations",
    "link": "links",
    "diagram": "diagrams",
    "footprint": "footprints",
}


def run_validate_footprints_command(
    artifact: Path,
    repo: Path | None = None,
    output: Path | None = None,
    *,
    as_json: bool = False,
    index_config: IndexConfig | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Re-run every footprint of one research artifact on ``repo`` as it is now.

    ``artifact`` is ``artifacts/research/<module>.json`` of a wiki (or one question of it
    as a JSON object). The wiki's ``config.toml`` and catalog are those of ``output``,
    by default the wiki the artifact sits in, else ``<repo>/.cocowiki``.
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    repo_path = repo if repo is not None else Path.cwd()
    output_path = output if output is not None else _wiki_of(artifact, repo_path)
    try:
        module, questions = load_research(artifact)
        root = check_repository(repo_path)
        config = index_config or load_config(output_path).index
        with terminal_progress(as_json, err) as update:
            replayer = Replayer(root, lambda: current_index(root, output_path, config, update))
            tally = replayer.check(module, questions)
    except (VerifyError, ConfigError) as exc:
        return report_error("research validate-footprints", str(exc), as_json, out, err)
    if as_json:
        out.write(json.dumps(_footprints_summary(artifact, module, questions, tally)) + "\n")
    else:
        out.write(format_footprints(module, tally))
    return EXIT_OK if not tally.failures else EXIT_FAILED


def load_research(path: Path) -> tuple[str, list[ResearchQuestionArtifact]]:
    """The module and questions of a research artifact file; :class:`VerifyError` if it
    is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VerifyError(f"no such artifact: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise VerifyError(f"cannot read {path}: {exc}") from None
    except ValueError as exc:
        raise VerifyError(f"{path} is not JSON: {exc}") from None
    try:
        if isinstance(data, dict) and "question" in data and "footprints" in data:
            question = ResearchQuestionArtifact.model_validate(data)
            return question.module, [question]
        research = load_artifact(data) if isinstance(data, dict) else None
    except ValueError as exc:
        raise VerifyError(f"{path}: {str(exc).splitlines()[0]}") from None
    if not isinstance(research, ResearchArtifact):
        raise VerifyError(
            f"{path} is not a research artifact (artifacts/research/<module>.json); "
            "only research records footprints"
        )
    return research.module, research.questions


def format_footprints(module: str, tally: Tally) -> str:
    lines = [str(failure) for failure in tally.failures]
    if tally.failures:
        lines.append(f"FAILED: {len(tally.failures)} of {tally.checked} footprints changed")
    else:
        lines.append(f"{module}: all {tally.checked} footprints hold")
    return "\n".join(lines) + "\n"


def _footprints_summary(
    artifact: Path, module: str, questions: list[ResearchQuestionArtifact], tally: Tally
) -> dict[str, Any]:
    failures: list[Failure] = tally.failures
    return {
        "ok": not failures,
        "artifact": str(artifact),
        "module": module,
        "questions": len(questions),
        "footprints": {"checked": tally.checked, "failed": len(failures)},
        "failures": [failure.as_json() for failure in failures],
    }


def _wiki_of(artifact: Path, repo: Path) -> Path:
    """The output directory ``artifacts/research/<module>.json`` belongs to, if it does."""
    folder = artifact.absolute().parent
    if folder.name == "research" and folder.parent.name == ARTIFACTS_DIR:
        return folder.parent.parent
    return output_dir(repo, None)
