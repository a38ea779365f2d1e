"""The scout: a small tool-calling model that explores the repository to answer one
research question, every lookup recorded, its answer frozen before any writer sees it.

:meth:`Scout.explore` holds one conversation: the question (and what the build already
knows of the module) goes to the model with the read-only tools of
:mod:`.scouttools`; tool calls are run and their results (or errors) sent back; a reply
without tool calls is the answer. Budgets bound a run: model calls, tool calls, tokens
(the provider's own usage figures) and seconds (a cancel scope on the kernel clock); a
run that hits one stops where it is, and what it found is frozen with ``stopped``
saying which budget ended it.

The answer is frozen as a :class:`ResearchQuestionArtifact`: the question, the answer,
each paragraph that cites resolving lines as a finding (``path:start-end``, the digest
of the lines now), the footprints of every lookup (and a Read of each cited span, so
the answer is asked again when the lines it cites change), the model and the budget
spent. Citations that do not resolve are listed, never kept as findings.
"""

from __future__ import annotations

from dataclasses import dataclass

import tiffany
from tiffany.models import Message, ModelClient

from ..config import ResearchConfig
from .artifacts import Citation, Claim, ResearchQuestionArtifact, ScoutRun
from .footprints import Explorer, Footprint, ReadFootprint
from .modelcites import citation_fault, page_citations
from .scouttools import ScoutTools
from .sources import span_digest

SYSTEM = """\
You are a code scout. You answer one question about a software repository by looking at \
its code with the tools you are given (read, glob, grep, symbol, graph); you cannot change \
anything. Look before you answer: find the relevant files and read the lines you rely on.

Answer in a few short paragraphs of plain prose. Every paragraph that states a fact about \
the code cites the lines it rests on as `path:start-end` in backticks (for example \
`src/app.py:12-30`), using lines you have read. Say plainly when the code does not show \
something. Do not call tools in your final answer."""


@dataclass(frozen=True, slots=True)
class ScoutBudget:
    """What one question may cost: model calls, tool calls, tokens (input and output, as
    the provider reports them) and wall-clock seconds; ``output_tokens`` caps each reply."""

    max_calls: int = 16
    max_tool_calls: int = 40
    max_tokens: int = 400_000
    max_seconds: float = 600.0
    output_tokens: int = 4_000

    def __post_init__(self) -> None:
        for name in ("max_calls", "max_tool_calls", "max_tokens", "output_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not self.max_seconds > 0:
            raise ValueError("max_seconds must be more than 0")


def scout_budget(settings: ResearchConfig) -> ScoutBudget:
    """The budget per question that ``[research]`` sets."""
    return ScoutBudget(
        max_calls=settings.max_calls,
        max_tool_calls=settings.max_tool_calls,
        max_tokens=settings.max_tokens,
        max_seconds=settings.max_seconds,
        output_tokens=settings.output_tokens,
    )


class Scout:
    """Answers research questions with ``llm`` (named ``model`` in the artifacts)."""

    def __init__(self, llm: ModelClient, model: str, budget: ScoutBudget | None = None) -> None:
        self.llm = llm
        self.model = model
        self.budget = budget or ScoutBudget()

    async def explore(
        self,
        explorer: Explorer,
        module: str,
        question_id: str,
        question: str,
        context: str = "",
    ) -> ResearchQuestionArtifact:
        """One question, explored and frozen. ``context`` is what the build knows of the
        module already (its files, its dossier's facts), shown before the question."""
        tools = ScoutTools(explorer)
        box = tools.toolbox()
        prompt = f"{context.strip()}\n\nQuestion: {question}" if context.strip() else question
        messages = [Message.system(SYSTEM), Message.user(prompt)]
        budget = self.budget
        spent = _Spent()
        answer = ""
        stopped = "answered"
        started = tiffany.current_time()
        with tiffany.move_on_after(budget.max_seconds) as scope:
            while True:
                if spent.calls >= budget.max_calls:
                    stopped = f"budget: {budget.max_calls} model calls"
                    break
                if spent.tokens >= budget.max_tokens:
                    stopped = f"budget: {budget.max_tokens} tokens"
                    break
                completion = await self.llm.complete(
                    messages, tools=box.specs, max_tokens=budget.output_tokens
                )
                spent.add(completion.usage.input_tokens, completion.usage.output_tokens)
                messages.append(completion.message())
                if not completion.tool_calls:
                    answer = completion.text.strip()
                    break
                if spent.tool_calls + len(completion.tool_calls) > budget.max_tool_calls:
                    stopped = f"budget: {budget.max_tool_calls} tool calls"
                    break
                for call in completion.tool_calls:
                    spent.tool_calls += 1
                    messages.append((await box.run(call)).to_message())
        if scope.cancelled_caught:
            stopped = f"budget: {budget.max_seconds:g} seconds"
        findings, cited, invalid = _findings(explorer, answer)
        run = ScoutRun(
            model=self.model,
            calls=spent.calls,
            tool_calls=spent.tool_calls,
            input_tokens=spent.input_tokens,
            output_tokens=spent.output_tokens,
            seconds=round(tiffany.current_time() - started, 3),
            stopped=stopped,
            invalid_citations=invalid,
        )
        return ResearchQuestionArtifact(
            module=module,
            id=question_id,
            question=question,
            answer=answer or f"No answer ({stopped}).",
            findings=findings,
            footprints=_with_citations(tools.footprints, cited),
            scout=run,
        )


@dataclass(slots=True)
class _Spent:
    calls: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def add(self, input_tokens: int, output_tokens: int) -> None:
        self.calls += 1
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens


def _findings(
    explorer: Explorer, answer: str
) -> tuple[list[Claim], list[ReadFootprint], list[str]]:
    """Each paragraph of ``answer`` with the citations of it that resolve; the Read
    footprints of those citations; the citations that do not resolve, with why."""
    findings: list[Claim] = []
    cited: list[ReadFootprint] = []
    invalid: list[str] = []
    for paragraph in _paragraphs(answer):
        citations: list[Citation] = []
        for mark in page_citations(paragraph):
            for span in mark.spans:
                fault = citation_fault(explorer.reader, span)
                if fault is not None:
                    invalid.append(f"{span.written}: {fault}")
                    continue
                lines = explorer.reader.lines(span.path)
                citation = Citation(
                    path=span.path,
                    start=span.start,
                    end=span.end,
                    digest=span_digest(lines, span.start, span.end),
                )
                if citation not in citations:
                    citations.append(citation)
                    cited.append(explorer.read(span.path, span.start, span.end)[1])
        if citations:
            findings.append(Claim(text=paragraph, citations=citations))
    return findings, cited, invalid


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.split("\n\n") if part.strip()]


def _with_citations(footprints: list[Footprint], cited: list[ReadFootprint]) -> list[Footprint]:
    """The run's footprints, then a Read of each cited span not read exactly so."""
    known = {(f.path, f.start, f.end) for f in footprints if isinstance(f, ReadFootprint)}
    extra: list[Footprint] = []
    for read in cited:
        if (read.path, read.start, read.end) not in known:
            known.add((read.path, read.start, read.end))
            extra.append(read)
    return [*footprints, *extra]
