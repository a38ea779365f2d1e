"""``ModelWriter``: a module guide written by a language model, checked, then published.

Per page: the source pack (:mod:`.sourcepack`) and the page contract
(:mod:`.modelprompt`) go to the model; tool calls read more code (:mod:`.modeltools`);
the final answer (a reply without tool calls) is reviewed (:class:`Reviewer`: Mermaid
repaired where that is safe, the maintainer's kept sections carried over, citations,
diagrams and links checked) and, while problems remain and repair rounds are left, the
problems go back to the model in the same conversation. A page still failing is
published unverified, with its reasons. The deterministic evidence map and a note on
when the page is rewritten are appended to what the model wrote.

A page whose inputs (pack, contract version, model, writer settings) are those of its
record (:mod:`.modelstore`) is taken from the record with no call at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import tiffany
from tiffany.models import BudgetExceededError, Client, Completion, Message, Totals

from ..config import WriterConfig
from ..plan.model import Module, ModuleTree
from .artifacts import ComponentDossier, PageSectionArtifact, ResearchQuestionArtifact
from .facts import RepositoryFacts
from .footprints import Footprint
from .graph import digest_of
from .modelprompt import CONTRACT_VERSION, contract_system, extract_summary
from .modelstore import Accounting, ModelRecord, ModelRecords
from .modeltools import CodeReader
from .sourcepack import SourcePack, build_source_pack
from .writer import PageDraft, PageWriter, WrittenPage
from .writerrun import RunLimits

#: Tool turns a page may take before its answer; a model still reading after that is
#: told to write the page now.
MAX_TOOL_TURNS = 12
_MERMAID = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)


@dataclass(frozen=True, slots=True)
class PageReview:
    """A model answer after review: the Markdown to publish (repaired where safe), the
    problems left, and what to tell the model about them."""

    markdown: str
    problems: list[str] = field(default_factory=list)
    feedback: str = ""


#: ``review(module_id, answer)``; see :mod:`.modelreview`.
Reviewer = Callable[[str, str], PageReview]


def writer_identity(spec: str, settings: WriterConfig, system: str) -> str:
    """What every model page of a build shares among its inputs: the model, the page
    contract (its version and the text sent) and the settings that shape the answer."""
    shaping = (settings.pack_tokens, settings.repair_rounds, settings.output_tokens)
    return digest_of(("model", spec, CONTRACT_VERSION, system, shaping))


def page_key(identity: str, pack: SourcePack) -> str:
    """The digest of everything a model page is a function of (its record's key)."""
    return digest_of((identity, pack.digest))


def publish_as_is(module_id: str, answer: str) -> PageReview:
    """The reviewer of a writer that checks nothing (``cw build --estimate`` packs only)."""
    return PageReview(answer)


class ModelWriter:
    """Writes each page with ``llm``; one instance per build."""

    def __init__(
        self,
        llm: Client,
        spec: str,
        settings: WriterConfig,
        records: ModelRecords,
        limits: RunLimits,
        review: Reviewer,
    ) -> None:
        self.llm = llm
        self.spec = spec
        self.settings = settings
        self.records = records
        self.limits = limits
        #: Why the build stopped asking (the spending limit's message), if it did.
        self.stopped: str | None = None
        self.review = review
        self.system = contract_system()
        self.jobs = tiffany.Semaphore(limits.jobs)
        #: Summaries of the pages finished in this build, for their parents' packs.
        self.summaries: dict[str, str] = {}
        #: Ids of the pages for which the model was called in this build.
        self.asked: list[str] = []

    @property
    def identity(self) -> str:
        return writer_identity(self.spec, self.settings, self.system)

    def summary(self, module_id: str) -> str:
        """A page's summary for its parent: this build's, else its record's."""
        known = self.summaries.get(module_id)
        if known is None:
            known = self.summaries[module_id] = self.records.summary(module_id)
        return known

    def prepare(
        self,
        facts: RepositoryFacts,
        module: Module,
        dossier: ComponentDossier,
        sections: list[PageSectionArtifact],
    ) -> PageDraft:
        children = {child: self.summary(child) for child in module.children}
        pack = build_source_pack(facts, module, dossier, children, self.settings.pack_tokens)
        return PageDraft(facts, module, sections, pack)

    def key(self, draft: PageDraft) -> str:
        assert draft.pack is not None
        return page_key(self.identity, draft.pack)

    async def write(self, draft: PageDraft) -> WrittenPage:
        module_id = draft.module.id
        key = self.key(draft)
        record = self.records.current(module_id, key)
        if record is None:
            if not self.limits.selects(module_id):
                return self._pending(draft, "not among --pages")
            if self.stopped is not None:
                return self._pending(draft, self.stopped)
            try:
                async with self.jobs:
                    record = await self._ask(draft, key)
            except BudgetExceededError as exc:
                self.stopped = str(exc)
                return self._pending(draft, self.stopped)
        self.summaries[module_id] = record.summary
        return published(draft, record)

    def _pending(self, draft: PageDraft, reason: str) -> WrittenPage:
        note = (
            f"> The model writer has not written this page yet ({reason}); this is the "
            "deterministic page. Run `cw build` again to continue."
        )
        sections = [*draft.sections, _section(draft.module, "pending", "Pending", 99, note)]
        self.summaries[draft.module.id] = ""
        return WrittenPage(sections, pending=reason)

    async def _ask(self, draft: PageDraft, key: str) -> ModelRecord:
        """The conversation that writes one page, then its record, written at once."""
        assert draft.pack is not None
        module_id = draft.module.id
        self.asked.append(module_id)
        accounting = Accounting(model=self.spec)
        reader = CodeReader(draft.facts)
        tools = reader.toolbox()
        messages = [Message.system(self.system), Message.user(draft.pack.text)]
        tool_turns = 0
        while True:
            offered = tools.specs if tool_turns < MAX_TOOL_TURNS else ()
            completion = await self.llm.complete(
                messages, tools=offered or None, max_tokens=self.settings.output_tokens
            )
            self._account(accounting, completion)
            messages.append(completion.message())
            if completion.tool_calls:
                tool_turns += 1
                for call in completion.tool_calls:
                    messages.append((await tools.run(call)).to_message())
                continue
            review = self.review(module_id, completion.text)
            if not review.problems or accounting.rounds >= self.settings.repair_rounds:
                break
            accounting.rounds += 1
            messages.append(Message.user(review.feedback))
        accounting.problems = review.problems
        accounting.verification = "unverified" if review.problems else "verified"
        summary = extract_summary(review.markdown)
        return self.records.put(
            module_id, key, review.markdown, summary, accounting, reader.footprints
        )

    def _account(self, accounting: Accounting, completion: Completion) -> None:
        """Count a call against the page and the build's budget; an answer replayed from
        the response cache is counted apart, and costs nothing."""
        if completion.cached:
            accounting.replayed += 1
            return
        cost = self.llm.ledger.cost_of(completion.model, completion.usage)
        accounting.calls += 1
        accounting.input_tokens += completion.usage.input_tokens
        accounting.output_tokens += completion.usage.output_tokens
        accounting.add_cost(cost)


def published(draft: PageDraft, record: ModelRecord) -> WrittenPage:
    """The model's page, then the deterministic evidence map and the rewrite note."""
    module = draft.module
    evidence = [s for s in draft.sections if s.id == "evidence"]
    components = sorted({c for s in draft.sections for c in s.components})
    guide = _section(module, "guide", module.title, 0, record.markdown.strip() + "\n")
    guide = guide.model_copy(
        update={"diagrams": _MERMAID.findall(record.markdown), "components": components}
    )
    note = (
        f"_Written by `{record.accounting['model']}` (page contract v{CONTRACT_VERSION}); "
        "rewritten only when this module's source pack, the contract, the model or a "
        "sub-page's summary changes._"
    )
    sections = [
        guide,
        *[s.model_copy(update={"order": 1}) for s in evidence],
        _section(module, "rewrites", "Rewrites", 2, note),
    ]
    footprints: list[Footprint] = [_footprint(f) for f in record.footprints]
    return WrittenPage(sections, record.summary, dict(record.accounting), footprints)


def _footprint(data: dict[str, object]) -> Footprint:
    from pydantic import TypeAdapter

    adapter: TypeAdapter[Footprint] = TypeAdapter(Footprint)
    return adapter.validate_python(data)


def _section(module: Module, id: str, title: str, order: int, markdown: str) -> PageSectionArtifact:
    return PageSectionArtifact(
        module=module.id,
        id=id,
        title=title,
        order=order,
        markdown=markdown,
        citations=[],
        diagrams=[],
        links=[],
        components=[],
    )


def model_reads(module: Module, footprints: list[Footprint]) -> ResearchQuestionArtifact:
    """The model's reads beyond its pack, as one question of the page's research."""
    return ResearchQuestionArtifact(
        module=module.id,
        id="model-reads",
        question="What did the model read beyond the source pack?",
        answer=f"{len(footprints)} reads through read_file and read_code_components.",
        findings=[],
        footprints=footprints,
    )


def writer_run(writer: PageWriter, tree: ModuleTree) -> dict[str, Any] | None:
    """What the model writer did in this build (``cw build --json`` key ``model``)."""
    if not isinstance(writer, ModelWriter):
        return None
    writer.records.keep_only({module.id for module in tree})
    spent = Totals()
    for call in writer.llm.ledger.records:
        if not call.cached:
            spent.add(call)
    return {
        "spec": writer.spec,
        "asked": writer.asked,
        "calls": spent.calls,
        "cost": None if spent.cost is None else round(spent.cost, 6),
        "stopped": writer.stopped,
    }
