"""``cw research explore``, ``cw research notebook`` and ``cw explore``: the scout by hand.

``explore`` runs the scout (:mod:`.scout`) on one question and freezes its answer as a
:class:`ResearchQuestionArtifact` (printed, or written to ``--output``), which
``cw research validate-footprints`` re-checks later. ``cw explore`` is the same run,
live: it prints the answer and its footprints and freezes nothing. ``notebook`` gathers
frozen artifacts of one module into a :class:`ModuleNotebook`, the form the writer's
source pack takes them in.

The index is the wiki's catalog brought up to date in a scratch copy (as ``cw verify``
does), so neither command writes to the wiki.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

import tiffany
from tiffany.atomic import write_atomic
from tiffany.models import ConfigError as ModelConfigError
from tiffany.models import ModelError, client

from ..config import ConfigError, ResearchConfig, load_config
from ..console import report_error
from ..index import IndexConfig, IndexingError, check_repository
from ..paths import output_dir
from .artifacts import (
    Claim,
    ModuleNotebook,
    NotebookAnswer,
    ResearchArtifact,
    ResearchQuestionArtifact,
)
from .footprints import Explorer
from .modelstore import RESPONSES_DIR
from .scout import Scout, scout_budget

EXIT_OK = 0


class ResearchError(Exception):
    """The command cannot run; the message says why and what to do."""


def make_scout(spec: str, settings: ResearchConfig, wiki: Path | None) -> Scout:
    """A scout on ``spec`` (a ``tiffany.models`` spec; keys from the environment), its
    answers cached in the wiki's response cache when there is a wiki."""
    if not spec:
        raise ResearchError("no scout model: pass --model provider:model or set [research] model")
    options: dict[str, Any] = {}
    if wiki is not None:
        options["cache"] = wiki / RESPONSES_DIR
    try:
        llm = client(spec, **options)
    except ModelConfigError as exc:
        raise ResearchError(f"--model {spec}: {exc}") from exc
    return Scout(llm, spec, scout_budget(settings))


def run_explore_command(
    question: str,
    repo: Path | None = None,
    wiki: Path | None = None,
    *,
    module: str = "",
    question_id: str = "explore",
    artifact_file: Path | None = None,
    model: str | None = None,
    freeze: bool = True,
    as_json: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the scout on ``question``; freeze (``research explore``) or only print
    (``explore``) its answer."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    command = "research explore" if freeze else "explore"
    try:
        root = check_repository(repo if repo is not None else Path.cwd())
        folder = output_dir(root, wiki)
        config = load_config(folder)
        scout = make_scout(model or config.research.model, config.research, folder)
        explorer = Explorer(root, _index(root, folder, config.index))
        artifact = tiffany.run(scout.explore, explorer, module, question_id, question)
    except (ResearchError, ConfigError, IndexingError, ModelError, ValueError) as exc:
        return report_error(command, str(exc), as_json, out, err)
    if freeze and artifact_file is not None:
        write_atomic(artifact_file, artifact.model_dump_json(indent=2) + "\n")
    if as_json or (freeze and artifact_file is None):
        out.write(artifact.model_dump_json(indent=2) + "\n")
    else:
        out.write(format_answer(artifact, artifact_file))
    return EXIT_OK


def _index(root: Path, wiki: Path, config: IndexConfig) -> Any:
    from ..verify.treeindex import current_index

    return current_index(root, wiki, config)


def format_answer(artifact: ResearchQuestionArtifact, written: Path | None = None) -> str:
    """The answer, then one line per footprint, then what the run spent."""
    lines = [artifact.answer, "", f"footprints ({len(artifact.footprints)}):"]
    for footprint in artifact.footprints:
        query = footprint.model_dump(exclude={"fingerprint", "matches", "tool"})
        args = ", ".join(str(value) for value in query.values())
        lines.append(
            f"  {footprint.tool}({args}) -> {footprint.matches} [{footprint.fingerprint[:12]}]"
        )
    run = artifact.scout
    if run is not None:
        lines.append(
            f"{run.model}: {run.calls} calls, {run.tool_calls} tool calls, "
            f"{run.input_tokens}+{run.output_tokens} tokens, {run.seconds:.1f}s; {run.stopped}"
        )
        lines.extend(f"  citation not resolved: {bad}" for bad in run.invalid_citations)
    if written is not None:
        lines.append(f"frozen: {written}")
    return "\n".join(lines) + "\n"


def run_notebook_command(
    artifacts: list[Path],
    module: str,
    notebook_file: Path | None,
    *,
    title: str | None = None,
    as_json: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Gather the frozen answers about ``module`` into a notebook (written or printed)."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        questions = [q for path in artifacts for q in load_questions(path)]
        notebook = notebook_of(module, title or module, questions)
    except ResearchError as exc:
        return report_error("research notebook", str(exc), as_json, out, err)
    if notebook_file is not None:
        write_atomic(notebook_file, notebook.dumps())
        if as_json:
            out.write(
                json.dumps({"notebook": str(notebook_file), "answers": len(notebook.answers)})
                + "\n"
            )
        else:
            out.write(f"wrote {notebook_file}: {len(notebook.answers)} answers\n")
    else:
        out.write(notebook.dumps())
    return EXIT_OK


def load_questions(path: Path) -> list[ResearchQuestionArtifact]:
    """The questions of a frozen answer file or of a research artifact."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResearchError(f"cannot read {path}: {exc}") from None
    try:
        if isinstance(data, dict) and data.get("kind") == "research":
            return ResearchArtifact.model_validate(data).questions
        return [ResearchQuestionArtifact.model_validate(data)]
    except ValidationError as exc:
        raise ResearchError(
            f"{path} is not a research artifact: {exc.errors()[0]['msg']}"
        ) from None


def notebook_of(
    module: str, title: str, questions: list[ResearchQuestionArtifact]
) -> ModuleNotebook:
    """A notebook of the answers about ``module`` (others are refused by name)."""
    others = sorted({q.module for q in questions if q.module != module})
    if others:
        raise ResearchError(f"answers about other modules ({', '.join(others)}), not {module}")
    purpose: list[Claim] = [c for q in questions if q.id == "purpose" for c in q.findings]
    answers = [
        NotebookAnswer(
            id=q.id,
            question=q.question,
            answer=q.answer,
            citations=[c for claim in q.findings for c in claim.citations],
        )
        for q in questions
    ]
    summary = next((q.answer.split("\n", 1)[0] for q in questions if q.id == "purpose"), "")
    return ModuleNotebook(
        module=module,
        title=title,
        summary=summary,
        purpose=purpose,
        parent=None,
        children=[],
        call_paths=[],
        diagrams=[],
        research=[q.id for q in questions],
        answers=answers,
    )
