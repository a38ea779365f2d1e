"""The scout in ``cw build``: each module's questions answered before the writer runs.

With ``[research] model`` set, a page built again first has the scout answer its
module's standard questions (``[research] questions``) and one question per known gap of
the completeness gate (``[research] gaps``). Each frozen answer is kept in
``<output>/model/scout/<module>.json`` and reused while it still holds: the same question
asked of the same scout (model, budget, prompt), and every footprint giving the
fingerprint it recorded (a read file's lines unchanged, a glob's or grep's result set
unchanged, ...). So an edit that breaks one footprint has exactly that question asked
again, and a clean rerun asks nothing (the page is not even built again: the answers'
footprints are among its inputs in the build graph, :meth:`BuildScout.track`).
:class:`FrozenAnswers` makes that decision; ``cw build --estimate`` asks it too, to
count the questions a build would ask.

A question whose model call fails is not frozen; the page is left pending and asked
again by the next build.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tiffany.atomic import write_atomic
from tiffany.models import ModelError

from ..config import ResearchConfig
from ..plan.model import Module
from .artifacts import KnownGap, ResearchQuestionArtifact
from .facts import RepositoryFacts
from .footprints import Explorer
from .gaps import gap_question_id
from .graph import digest_of
from .scout import SYSTEM, Scout, ScoutBudget, scout_budget
from .sources import SourceReader

logger = logging.getLogger(__name__)

SCOUT_DIR = "model/scout"


@dataclass(slots=True)
class ScoutAnswers:
    """One module's answers in this build, and whether any question failed."""

    answers: list[ResearchQuestionArtifact] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ScoutQuestion:
    """One of a module's research questions, and its frozen answer if that still holds
    (None: the scout is asked it)."""

    id: str
    text: str
    kept: ResearchQuestionArtifact | None


def scout_identity(model: str, budget: ScoutBudget) -> str:
    """What every frozen answer of a scout shares: model, budget, prompt."""
    return digest_of(("scout", model, budget, SYSTEM))


class FrozenAnswers:
    """The scout's frozen answers in a wiki, and which of a module's questions they still
    answer: what ``cw build`` reuses and ``cw build --estimate`` counts (no model call)."""

    def __init__(self, settings: ResearchConfig, output: Path, identity: str) -> None:
        self.settings = settings
        self.folder = output / SCOUT_DIR
        self.identity = identity
        self._explorer: Explorer | None = None

    @classmethod
    def of(cls, settings: ResearchConfig, output: Path) -> FrozenAnswers:
        """The answers the scout ``[research]`` configures would reuse."""
        return cls(settings, output, scout_identity(settings.model, scout_budget(settings)))

    def questions(self, module: Module, gaps: list[KnownGap]) -> list[tuple[str, str]]:
        asked = self.settings.question_list(module.title)
        if self.settings.gaps:
            asked += [(gap_question_id(gap), gap.question) for gap in gaps]
        return asked

    def check(
        self, facts: RepositoryFacts, module: Module, gaps: list[KnownGap]
    ) -> list[ScoutQuestion]:
        """Each of the module's questions, with its kept answer when that still holds."""
        explorer = self.explorer(facts)
        kept = self._load(module.id)
        return [
            ScoutQuestion(ident, text, self._still_holds(kept.get(ident), text, explorer))
            for ident, text in self.questions(module, gaps)
        ]

    def explorer(self, facts: RepositoryFacts) -> Explorer:
        """An explorer whose lookups are not inputs of the page being recorded (the
        scout runs between recordings; :meth:`BuildScout.track` records what it found)."""
        if self._explorer is None or self._explorer.index is not facts.index:
            reader = SourceReader(facts.repo)
            self._explorer = Explorer(facts.repo, facts.index, reader, facts.rows)
        return self._explorer

    def save(self, module_id: str, answers: list[ResearchQuestionArtifact]) -> None:
        """Freeze the module's answers (they replace the ones kept before)."""
        frozen = {
            a.id: {"identity": self.identity, "artifact": a.model_dump(mode="json")}
            for a in answers
        }
        text = json.dumps(frozen, indent=2, sort_keys=True) + "\n"
        path = self._path(module_id)
        try:
            if path.read_text(encoding="utf-8") == text:
                return
        except OSError:
            pass
        write_atomic(path, text)

    def _still_holds(
        self, record: dict[str, Any] | None, question: str, explorer: Explorer
    ) -> ResearchQuestionArtifact | None:
        if record is None or record.get("identity") != self.identity:
            return None
        try:
            artifact = ResearchQuestionArtifact.model_validate(record["artifact"])
        except (ValidationError, KeyError):
            return None
        if artifact.question != question:
            return None
        for footprint in artifact.footprints:
            if explorer.execute(footprint) != footprint.fingerprint:
                return None
        return artifact

    def _path(self, module_id: str) -> Path:
        return self.folder / f"{module_id}.json"

    def _load(self, module_id: str) -> dict[str, Any]:
        try:
            data = json.loads(self._path(module_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


class BuildScout:
    """Answers, or reuses the answers to, each module's research questions."""

    def __init__(self, scout: Scout, settings: ResearchConfig, output: Path) -> None:
        self.scout = scout
        self.frozen = FrozenAnswers(settings, output, scout_identity(scout.model, scout.budget))
        #: ``module/question`` of each question asked in this build, in order.
        self.asked: list[str] = []
        self.reused = 0
        self.calls = 0
        self.input_tokens = 0
        self.output_tokens = 0

    @property
    def identity(self) -> str:
        """What every frozen answer of this scout shares: model, budget, prompt."""
        return self.frozen.identity

    async def answer(
        self, facts: RepositoryFacts, module: Module, gaps: list[KnownGap], context: str
    ) -> ScoutAnswers:
        """The module's answers: each kept one that still holds, the others asked now."""
        explorer = self.frozen.explorer(facts)
        result = ScoutAnswers()
        for question in self.frozen.check(facts, module, gaps):
            artifact = question.kept
            if artifact is None:
                self.asked.append(f"{module.id}/{question.id}")
                try:
                    artifact = await self.scout.explore(
                        explorer, module.id, question.id, question.text, context
                    )
                except ModelError as exc:
                    logger.warning("scout: %s/%s: %s", module.id, question.id, exc)
                    result.failed.append(f"{question.id}: {exc}")
                    continue
                self._count(artifact)
            else:
                self.reused += 1
            result.answers.append(artifact)
        self.frozen.save(module.id, result.answers)
        return result

    @staticmethod
    def track(facts: RepositoryFacts, answers: list[ResearchQuestionArtifact]) -> None:
        """Run each answer's lookups again through the page's tracked explorer (inside
        its recording), so they are inputs of the page in the build graph."""
        for artifact in answers:
            for footprint in artifact.footprints:
                facts.explorer.rerun(footprint)

    def run_summary(self) -> dict[str, Any]:
        return {
            "model": self.scout.model,
            "asked": list(self.asked),
            "reused": self.reused,
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
        }

    def _count(self, artifact: ResearchQuestionArtifact) -> None:
        run = artifact.scout
        if run is not None:
            self.calls += run.calls
            self.input_tokens += run.input_tokens
            self.output_tokens += run.output_tokens


def make_build_scout(settings: ResearchConfig, output: Path) -> BuildScout | None:
    """The build's scout with ``[research] model`` set, else None (no model call)."""
    if not settings.model:
        return None
    from .researchcommand import ResearchError, make_scout

    try:
        return BuildScout(make_scout(settings.model, settings, output), settings, output)
    except ResearchError as exc:
        raise ScoutUnavailable(str(exc)) from exc


class ScoutUnavailable(Exception):
    """The build's scout cannot start; the message names the problem and the fix."""


def scout_context(facts: RepositoryFacts, module: Module) -> str:
    """What the scout is told of a module before its question: the module and its files."""
    files = "\n".join(f"- {path}" for path in module.files[:200])
    more = f"\n- ... and {len(module.files) - 200} more" if len(module.files) > 200 else ""
    return (
        f"Repository: {facts.repo.name}. The question is about the module "
        f"{module.title!r} (id {module.id}), whose files are:\n{files}{more}"
    )
