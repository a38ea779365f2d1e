"""``cw build --estimate``: what a model-written build would ask, before asking anything.

The estimate indexes and plans as a build does (both are cached and cheap when nothing
changed), makes each page's source pack and compares its key with the page's record:
a page whose record matches is up to date and costs nothing. The rest cost at least one
call each, of the pack and the contract in and about :data:`ANSWER_TOKENS` out (a page
that fails its checks costs a repair round more). Sub-page calls are not foreseeable (a
model splits a module only while it writes): the estimate says how many the pages' last
versions took, and names what it cannot count (:data:`NOT_FORESEEN`). A parent is
counted as to be written when any of its children is, since its pack holds their
summaries. No model is called
and no key is needed: prices come from ``tiffany.models``' table.

With ``[research] model`` set, the scout's questions are counted too, each module's
standard questions and one per known gap, less those whose frozen answer still holds
(:class:`~.scoutbuild.FrozenAnswers`, the build's own decision; the answers that hold go
into the packs as the build puts them). Their figures are the scout's budgets per
question (``max_calls``, ``max_tokens``) times the questions: upper bounds, not
predictions, reported apart from the writer's and added to the totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tiffany.models import Usage, estimate_tokens, parse_spec
from tiffany.models.accounting import price_for

from ..index import IndexingError, check_repository, index_repository
from ..index.store import catalog_path
from ..lock import OutputBusy, output_lock
from ..paths import output_dir
from ..plan.cache import plan_or_reuse
from ..plan.model import Module
from .artifacts import ModuleNotebook, ResearchQuestionArtifact
from .builder import BuildConfig, BuildError
from .dossier import build_dossier
from .entrypoints import find_entry_points
from .facts import RepositoryFacts
from .gaps import completeness_gate
from .graph import GraphStore, load_graph
from .markdown import and_more, count
from .modelprompt import contract_system
from .modelstore import ModelRecords
from .modelwriter import page_key, writer_identity
from .notebook import notebook_answers
from .scoutbuild import FrozenAnswers
from .sourcepack import build_source_pack

#: A module guide's usual length in tokens (capped by ``[writer] output_tokens``).
ANSWER_TOKENS = 3_000
#: What no estimate can count before the model writes.
NOT_FORESEEN = (
    "sub-page calls (a model decides to split a module only while it writes; each "
    "sub-page is a conversation of its own)",
    "tool turns (reads of code beyond the pack) and repair rounds (each resends the "
    "conversation so far)",
)
#: What the scout's budgets do not bound, said when a scout is configured.
SCOUT_NOT_FORESEEN = (
    "the scout's token budget is checked before each of its calls, so a question's last "
    "call may pass max_tokens; the writer's packs hold the new answers, whose length is "
    "not known before they are given",
)
#: Modules listed by name in the text (``--json`` lists them all).
SHOWN_MODULES = 10


@dataclass(frozen=True, slots=True)
class PageEstimate:
    id: str
    up_to_date: bool
    input_tokens: int
    outlined_files: int
    #: Files of the pack listed by path only (not even outlined: past the budget).
    listed_files: int = 0
    #: Calls the page's sub-pages took when it was last written (0 without a record):
    #: what a split like the last one would cost again.
    subpage_calls: int = 0
    #: The scout's questions about the module that a build would ask (their frozen
    #: answers are missing or no longer hold), and the number of answers that still hold.
    scout_questions: tuple[str, ...] = ()
    scout_kept: int = 0


@dataclass(frozen=True, slots=True)
class ScoutEstimate:
    """The scout ``[research]`` configures and its budgets per question."""

    model: str
    max_calls: int
    max_tokens: int


@dataclass(frozen=True, slots=True)
class Estimate:
    spec: str
    pages: list[PageEstimate]
    output_per_page: int
    cost: float | None
    #: None without ``[research] model``.
    scout: ScoutEstimate | None = None

    @property
    def to_write(self) -> list[PageEstimate]:
        return [page for page in self.pages if not page.up_to_date]

    def summary(self) -> dict[str, Any]:
        """The ``--estimate --json`` output."""
        todo = self.to_write
        calls = len(todo)
        tokens = sum(page.input_tokens for page in todo) + self.output_per_page * len(todo)
        scout = self._scout_summary()
        if scout is not None:
            calls += scout["max_calls"]
            tokens += scout["max_tokens"]
        return {
            "model": self.spec,
            "pages": len(self.pages),
            "pages_to_write": [page.id for page in todo],
            "pages_up_to_date": [page.id for page in self.pages if page.up_to_date],
            "calls": len(todo),
            "input_tokens": sum(page.input_tokens for page in todo),
            "output_tokens": self.output_per_page * len(todo),
            "cost": None if self.cost is None else round(self.cost, 4),
            "outlined_files": sum(page.outlined_files for page in todo),
            "listed_files": sum(page.listed_files for page in todo),
            "subpage_calls_last_time": sum(page.subpage_calls for page in todo),
            "not_foreseen": list(self.not_foreseen),
            "scout": scout,
            "total_calls": calls,
            "total_tokens": tokens,
        }

    @property
    def not_foreseen(self) -> tuple[str, ...]:
        return NOT_FORESEEN + (SCOUT_NOT_FORESEEN if self.scout is not None else ())

    def _scout_summary(self) -> dict[str, Any] | None:
        """The scout's questions and budgets (upper bounds), None without a scout."""
        if self.scout is None:
            return None
        asked = {page.id: list(page.scout_questions) for page in self.pages if page.scout_questions}
        questions = sum(len(ids) for ids in asked.values())
        return {
            "model": self.scout.model,
            "budgets_not_predictions": True,
            "questions": questions,
            "questions_by_module": asked,
            "answers_kept": sum(page.scout_kept for page in self.pages),
            "max_calls_per_question": self.scout.max_calls,
            "max_tokens_per_question": self.scout.max_tokens,
            "max_calls": self.scout.max_calls * questions,
            "max_tokens": self.scout.max_tokens * questions,
        }

    def format(self) -> str:
        data = self.summary()
        cost = (
            "unknown (no price for this model)"
            if data["cost"] is None
            else (f"${data['cost']:.4f}")
        )
        lines = [
            f"model {data['model']}: {data['pages']} pages, "
            f"{len(data['pages_up_to_date'])} up to date, {len(data['pages_to_write'])} to write",
            f"at least {data['calls']} model calls, {data['input_tokens']} input and about "
            f"{data['output_tokens']} output tokens, estimated cost {cost}",
        ]
        if data["outlined_files"] or data["listed_files"]:
            lines.append(
                f"{data['outlined_files']} files outlined and {data['listed_files']} only "
                "listed in the packs (over pack_tokens): the model may read them with tools"
            )
        if data["subpage_calls_last_time"]:
            lines.append(
                f"the last time these pages were written, their sub-pages took "
                f"{data['subpage_calls_last_time']} more calls (not counted above)"
            )
        scout = data["scout"]
        if scout is not None:
            lines += _scout_lines(scout)
            lines.append(
                f"in all: {data['total_calls']} model calls and {data['total_tokens']} "
                "tokens, the writer's estimate plus the scout's budgets (the cost above is "
                "the writer's)"
            )
        lines.append("not foreseen: " + "; ".join(data["not_foreseen"]))
        return "\n".join(lines) + "\n"


def _scout_lines(scout: dict[str, Any]) -> list[str]:
    asked: dict[str, list[str]] = scout["questions_by_module"]
    lines = [
        f"scout {scout['model']}: {count(scout['questions'], 'question')} to ask in "
        f"{count(len(asked), 'module')}, {count(scout['answers_kept'], 'frozen answer')} "
        "still hold"
    ]
    lines += [
        f"  {module}: {', '.join(ids)}" for module, ids in list(asked.items())[:SHOWN_MODULES]
    ]
    if len(asked) > SHOWN_MODULES:
        lines.append(f"  ...{and_more(len(asked), SHOWN_MODULES)} modules (--json lists them)")
    lines.append(
        f"scout budgets, upper bounds and not predictions: at most {scout['max_calls']} "
        f"calls and {scout['max_tokens']} tokens ({scout['max_calls_per_question']} calls "
        f"and {scout['max_tokens_per_question']} tokens a question, [research] max_calls "
        "and max_tokens)"
    )
    return lines


def estimate_build(repo: Path, output: Path | None, config: BuildConfig) -> Estimate:
    """The estimate of a build of ``repo`` with ``config``'s model; calls no model."""
    settings = config.writer
    if not settings.uses_model:
        raise BuildError("--estimate needs a model: pass --model or set [writer] model")
    try:
        repo = check_repository(repo)
    except IndexingError as exc:
        raise BuildError(str(exc)) from exc
    out = output_dir(repo, output).resolve()
    try:
        with output_lock(out, 0.0):
            return _estimate(repo, out, config)
    except OutputBusy as exc:
        raise BuildError(str(exc)) from exc


def _estimate(repo: Path, output: Path, config: BuildConfig) -> Estimate:
    settings, limits = config.writer, config.limits
    catalog = catalog_path(output)
    graph = load_graph(catalog)
    try:
        index = index_repository(repo, output, config.index, None, lazy=True)
    except IndexingError as exc:
        raise BuildError(str(exc)) from exc
    GraphStore.open(catalog, graph).close()  # a replaced catalog keeps the build's graph
    tree, _ = plan_or_reuse(output, index, config.plan)
    facts = RepositoryFacts.build(repo, output, index, tree)
    entry_points = find_entry_points(facts)
    system = contract_system()
    identity = writer_identity(settings.model, settings, system)
    records = ModelRecords(output)
    research = config.research
    frozen = FrozenAnswers.of(research, output) if research.model else None
    changing: set[str] = set()
    pages: list[PageEstimate] = []
    for module in tree.build_order():
        dossier = build_dossier(facts, module, entry_points)
        questions = (
            []
            if frozen is None
            else frozen.check(facts, module, completeness_gate(facts, module, dossier))
        )
        kept = [question.kept for question in questions if question.kept is not None]
        children = {child: records.summary(child) for child in module.children}
        pack = build_source_pack(
            facts,
            module,
            dossier,
            children,
            settings.pack_tokens,
            notebook=_answers_only(module, kept),
        )
        fresh = records.current(module.id, page_key(identity, pack)) is not None
        up_to_date = fresh and not changing.intersection(module.children)
        if not up_to_date and limits.selects(module.id):
            changing.add(module.id)
        tokens = estimate_tokens(system) + pack.tokens
        record = records.get(module.id)
        subpage_calls = sum(
            int(sub["accounting"].get("calls", 0)) for sub in (record.subpages if record else [])
        )
        pages.append(
            PageEstimate(
                module.id,
                module.id not in changing,
                tokens,
                len(pack.outlined_files),
                len(pack.listed_files),
                subpage_calls,
                tuple(question.id for question in questions if question.kept is None),
                len(kept),
            )
        )
    answer = min(ANSWER_TOKENS, settings.output_tokens)
    price = price_for(parse_spec(settings.model)[1])
    todo = [page for page in pages if not page.up_to_date]
    cost = None
    if price is not None:
        usage = Usage(sum(p.input_tokens for p in todo), answer * len(todo))
        cost = price.cost(usage)
    scout = (
        None
        if frozen is None
        else ScoutEstimate(research.model, research.max_calls, research.max_tokens)
    )
    return Estimate(settings.model, pages, answer, cost, scout)


def _answers_only(module: Module, answers: list[ResearchQuestionArtifact]) -> ModuleNotebook | None:
    """A notebook holding only the scout's answers, all of a notebook the pack shows
    (:func:`~.sourcepack.notebook_text`): the pack the build makes when they are all
    the module's answers. None when there are none, as the build's pack then has none."""
    if not answers:
        return None
    return ModuleNotebook(
        module=module.id,
        title=module.title,
        summary="",
        purpose=[],
        parent=None,
        children=[],
        call_paths=[],
        diagrams=[],
        research=[],
        answers=notebook_answers(answers),
    )
