"""``ModelWriter``: a module guide written by a language model, checked, then published.

Per page: the source pack (:mod:`.sourcepack`) and the page contract
(:mod:`.modelprompt`) go to the model; tool calls read more code (:mod:`.modeltools`)
or split a part of the module onto a sub-page written at once by a sub-writer
(:mod:`.modelsubpages`); the final answer (a reply without tool calls) is reviewed
(:class:`~.modelreview.Reviewer`: Mermaid repaired where that is safe, the maintainer's
kept sections carried over, citations, diagrams and links checked) and, while problems
the model can fix remain and repair rounds are left, the problems go back to the model
in the same conversation. A page still failing is published unverified, with its
reasons. On publishing, the page's citations become links to the source view, with the
digests ``cw verify`` checks; the deterministic evidence map and a note on when the
page is rewritten are appended to what the model wrote.

A page whose inputs (pack, contract version, model, writer settings) are those of its
record (:mod:`.modelstore`) is taken from the record with no call at all (its kept
sections are carried again when a maintainer changed them since, and checked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import tiffany
from tiffany.models import BudgetExceededError, Client, Completion, Message, Totals

from ..config import WriterConfig
from ..plan.model import Module, ModuleTree
from .artifacts import (
    ComponentDossier,
    ModuleNotebook,
    PageSectionArtifact,
    ResearchQuestionArtifact,
)
from .facts import RepositoryFacts
from .footprints import Footprint
from .graph import digest_of
from .modelcites import link_citations, source_lines_link
from .modelprompt import CONTRACT_VERSION, contract_system, extract_summary
from .modelreview import PageReview, Reviewer
from .modelstore import Accounting, ModelRecord, ModelRecords, verdict
from .modelsubpages import SubModules, SubPage
from .modeltools import CodeReader
from .sourcepack import SourcePack, build_source_pack
from .writer import PageDraft, PageWriter, WrittenPage, WrittenSubPage
from .writerrun import RunLimits

#: Tool turns a page may take before its answer; a model still reading after that is
#: told to write the page now.
MAX_TOOL_TURNS = 12
_MERMAID = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)


@dataclass(slots=True)
class Answer:
    """What one conversation made: the reviewed page, its accounting and reads, the
    sub-pages it asked for, and the components left on the page itself."""

    review: PageReview
    accounting: Accounting
    footprints: list[Footprint]
    subpages: list[SubPage] = field(default_factory=list)
    owned: list[str] = field(default_factory=list)


def writer_identity(spec: str, settings: WriterConfig, system: str) -> str:
    """What every model page of a build shares among its inputs: the model, the page
    contract (its version and the text sent) and the settings that shape the answer."""
    shaping = (settings.pack_tokens, settings.repair_rounds, settings.output_tokens)
    return digest_of(("model", spec, CONTRACT_VERSION, system, shaping))


def page_key(identity: str, pack: SourcePack) -> str:
    """The digest of everything a model page is a function of (its record's key)."""
    return digest_of((identity, pack.digest))


class ModelWriter(PageWriter):
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

    def pack(
        self,
        facts: RepositoryFacts,
        module: Module,
        dossier: ComponentDossier,
        notebook: ModuleNotebook | None = None,
    ) -> SourcePack:
        children = {child: self.summary(child) for child in module.children}
        return build_source_pack(
            facts, module, dossier, children, self.settings.pack_tokens, notebook=notebook
        )

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
        else:
            record = await self._kept_again(module_id, record)
        self.summaries[module_id] = record.summary
        self.review.pages.update(sub["id"] for sub in record.subpages)
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
        """The conversation that writes one page (and its sub-pages), then its record,
        written at once."""
        assert draft.pack is not None and draft.dossier is not None
        self.asked.append(draft.module.id)
        tree = draft.facts.plain_tree or draft.facts.tree
        answer = await self._converse(draft.facts, draft.module, draft.dossier, tree, draft.pack)
        return self.records.put(
            draft.module.id,
            key,
            answer.review.markdown,
            extract_summary(answer.review.markdown),
            answer.accounting,
            answer.footprints,
            [sub.to_dict() for sub in answer.subpages],
            (draft.pack.digest, self.identity, CONTRACT_VERSION),
        )

    async def _converse(
        self,
        facts: RepositoryFacts,
        module: Module,
        dossier: ComponentDossier,
        tree: ModuleTree,
        pack: SourcePack,
        depth: int = 0,
    ) -> Answer:
        """One page's conversation: tool turns, then rounds of review and repair."""
        accounting = Accounting(model=self.spec)
        reader = CodeReader(facts)
        tools = reader.toolbox()

        async def write_sub(
            sub: Module, sub_dossier: ComponentDossier, sub_tree: ModuleTree, level: int
        ) -> list[SubPage]:
            return await self._write_sub(facts, sub, sub_dossier, sub_tree, level)

        subs = SubModules(module, dossier, tree, depth, self.review.pages, write_sub)
        if subs.offered:
            tools.add(subs.generate_sub_module_documentation)
        messages = [Message.system(self.system), Message.user(pack.text)]
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
                if self.stopped is not None:  # a sub-writer ran out of budget
                    raise BudgetExceededError(self.stopped)
                continue
            pages = frozenset(self.review.pages)  # read here: sub-writers add to it
            review = await tiffany.to_thread(self.review, module.id, completion.text, pages)
            if not review.retry or accounting.rounds >= self.settings.repair_rounds:
                break
            accounting.rounds += 1
            messages.append(Message.user(review.feedback))
        accounting.judge(review.problems)
        return Answer(review, accounting, reader.footprints, subs.made, subs.owned())

    async def _write_sub(
        self,
        facts: RepositoryFacts,
        module: Module,
        dossier: ComponentDossier,
        tree: ModuleTree,
        depth: int,
    ) -> list[SubPage]:
        """A sub-page the model asked for, written now; the sub-pages it made first."""
        assert module.parent is not None
        self.review.pages.add(module.id)
        pack = build_source_pack(facts, module, dossier, {}, self.settings.pack_tokens, tree)
        try:
            answer = await self._converse(facts, module, dossier, tree, pack, depth)
        except BudgetExceededError as exc:
            self.stopped = str(exc)
            raise
        markdown = answer.review.markdown
        page = SubPage(
            id=module.id,
            title=module.title,
            parent=module.parent,
            components=answer.owned,
            files=list(module.files),
            markdown=markdown,
            summary=extract_summary(markdown),
            accounting=answer.accounting.to_dict(),
            footprints=[f.model_dump(mode="json") for f in answer.footprints],
        )
        return [*answer.subpages, page]

    async def _kept_again(self, module_id: str, record: ModelRecord) -> ModelRecord:
        """``record`` with the kept sections of its published page (and its sub-pages')
        carried in again and checked, when a maintainer changed them since the record
        was written; else ``record`` as it is. No model is asked."""
        written = [(module_id, record.markdown)]
        written += [(sub["id"], sub["markdown"]) for sub in record.subpages]
        if not any(self.review.kept_changed(page, markdown) for page, markdown in written):
            return record
        self.review.pages.update(sub["id"] for sub in record.subpages)
        pages = frozenset(self.review.pages)
        return await tiffany.to_thread(self._review_again, module_id, record, pages)

    def _review_again(
        self, module_id: str, record: ModelRecord, pages: frozenset[str]
    ) -> ModelRecord:
        review = self.review(module_id, record.markdown, pages)
        accounting = record.accounting | verdict(review.problems)
        subpages = []
        for sub in record.subpages:
            again = self.review(sub["id"], sub["markdown"], pages)
            sub_accounting = sub["accounting"] | verdict(again.problems)
            subpages.append(sub | {"markdown": again.markdown, "accounting": sub_accounting})
        return self.records.rewrite(module_id, record, review.markdown, accounting, subpages)

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
    """The model's page, then the deterministic evidence map and the rewrite note; its
    sub-pages, each with its own guide. Citations are linked to the source view."""
    module = draft.module
    given = {c for sub in record.subpages for c in sub["components"]}
    evidence = [
        s.model_copy(update={"order": 1, "components": [c for c in s.components if c not in given]})
        for s in draft.sections
        if s.id == "evidence"
    ]
    components = sorted({c for s in draft.sections for c in s.components} - given)
    note = (
        f"_Written by `{record.accounting['model']}` (page contract v{CONTRACT_VERSION}); "
        "rewritten only when this module's source pack, the contract, the model or a "
        "sub-page's summary changes._"
    )
    sections = [
        _guide(draft.facts, module, record.markdown, components),
        *evidence,
        _section(module, "rewrites", "Rewrites", 2, note),
    ]
    footprints: list[Footprint] = [_footprint(f) for f in record.footprints]
    subpages = [_sub_page(draft, SubPage(**sub)) for sub in record.subpages]
    return WrittenPage(
        sections, record.summary, dict(record.accounting), footprints, subpages=subpages
    )


def _sub_page(draft: PageDraft, sub: SubPage) -> WrittenSubPage:
    module = sub.module(draft.module.path, draft.module.kind)
    note = (
        f"_Written by `{sub.accounting['model']}` (page contract v{CONTRACT_VERSION}) "
        f"as a part of [{draft.module.title}]({draft.module.id}.md), which asked for "
        "it; rewritten whenever that page is._"
    )
    sections = [
        _guide(draft.facts, module, sub.markdown, sorted(sub.components)),
        _section(module, "rewrites", "Rewrites", 2, note),
    ]
    footprints: list[Footprint] = [_footprint(f) for f in sub.footprints]
    page = WrittenPage(sections, sub.summary, dict(sub.accounting), footprints)
    return WrittenSubPage(module, page)


def _guide(
    facts: RepositoryFacts, module: Module, markdown: str, components: list[str]
) -> PageSectionArtifact:
    """The model's page as a section, its citations linked and recorded."""
    linked = link_citations(markdown, facts.reader, source_lines_link(facts.link_to_source))
    guide = _section(module, "guide", module.title, 0, linked.markdown.strip() + "\n")
    return guide.model_copy(
        update={
            "diagrams": _MERMAID.findall(linked.markdown),
            "components": components,
            "citations": list(linked.citations),
        }
    )


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
