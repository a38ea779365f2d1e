r"""The build's intermediate artifacts, as versioned pydantic models written to JSON.

Each page is made in steps, and each step leaves a file under ``<output>/artifacts/``
that says what it knew, so a later stage (the model-backed writer, ``cw verify``, the
incremental build graph) can reuse or re-check it without redoing the others:

* :class:`ComponentDossier` (``dossiers/<module>.json``): the facts of a module from the
  index: files, components, public API, dependencies both ways with counts, entry
  points, tests that exercise it;
* :class:`ResearchArtifact` (``research/<module>.json``): the module's
  :class:`ResearchQuestionArtifact`\ s, each a question, its answer with citations, and
  the footprints of the lookups that answered it;
* :class:`ModuleNotebook` (``notebooks/<module>.json``): what the page will say, in
  order, before it is rendered;
* :class:`SectionsArtifact` (``sections/<module>.json``): the page's
  :class:`PageSectionArtifact`\ s in order, each a rendered section with every citation,
  diagram, link and documented component in it.

One file per module and kind keeps a build to a few durable writes per page. Every file
carries ``schema_version``; a reader that finds another version rebuilds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .footprints import Footprint

#: Bumped when any artifact's layout changes.
SCHEMA_VERSION = 1


class Record(BaseModel):
    """Frozen, strict about unknown keys: artifacts are read back by other tools."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Artifact(Record):
    """A file of ``artifacts/``: versioned, about one module."""

    schema_version: int = SCHEMA_VERSION
    module: str

    def dumps(self) -> str:
        """The JSON text: fields in declaration order, so the same artifact, same bytes."""
        return self.model_dump_json(indent=2) + "\n"


class Citation(Record):
    """Lines ``start``..``end`` of ``path`` and the SHA-256 of their text when cited."""

    path: str
    start: int
    end: int
    digest: str

    @property
    def label(self) -> str:
        return f"{self.path}:{self.start}-{self.end}"


class Claim(Record):
    """A sentence about the code and the lines that support it."""

    text: str
    citations: list[Citation]


# dossier ------------------------------------------------------------------------------------


class FileFacts(Record):
    path: str
    language: str
    lines: int
    digest: str
    parse_errors: int = 0


class ComponentFacts(Record):
    id: str
    kind: str
    name: str
    qualified_name: str
    signature: str
    summary: str
    visibility: str
    parent_id: str | None
    citation: Citation


class Dependency(Record):
    """References between this module and another (or an external name), aggregated.

    ``module`` is the other module's id, ``None`` for a name outside the repository;
    ``target`` is what is depended on (the other module's title or the external name);
    ``sites`` cites the first few places the references are made.
    """

    module: str | None
    target: str
    count: int
    kinds: list[str]
    sites: list[Citation]


class EntryPoint(Record):
    """Where execution can start: ``main``, a ``__main__`` guard, a declared script."""

    kind: Literal["main_function", "script_guard", "console_script", "package_bin", "cargo_bin"]
    name: str
    component_id: str | None
    citation: Citation


class TestUse(Record):
    """A test file that references this module's code."""

    path: str
    count: int
    sites: list[Citation]


class ComponentDossier(Artifact):
    kind: Literal["dossier"] = "dossier"
    title: str
    path: str
    parent: str | None
    children: list[str]
    files: list[FileFacts]
    components: list[ComponentFacts]
    public_api: list[str]
    outgoing: list[Dependency]
    incoming: list[Dependency]
    entry_points: list[EntryPoint]
    tests: list[TestUse]


# research -----------------------------------------------------------------------------------


class ScoutRun(Record):
    """How a scout model answered a question: the model, what it spent, why it stopped
    (``answered``, or the budget or error that ended it), and the answer's citations
    that did not resolve when it was frozen."""

    model: str
    calls: int
    tool_calls: int
    input_tokens: int
    output_tokens: int
    seconds: float
    stopped: str = "answered"
    invalid_citations: list[str] = []

    @property
    def answered(self) -> bool:
        return self.stopped == "answered"


class ResearchQuestionArtifact(Record):
    """One question about a module, answered from the index with recorded lookups
    (deterministic research), or by a scout model whose every lookup was recorded
    (``scout`` says how)."""

    module: str
    id: str
    question: str
    answer: str
    findings: list[Claim]
    footprints: list[Footprint]
    scout: ScoutRun | None = None

    @property
    def cited(self) -> bool:
        """Whether the answer carries at least one citation (all of them resolved when
        it was frozen: a scout's unresolved ones are left out of ``findings``)."""
        return any(claim.citations for claim in self.findings)


class KnownGap(Record):
    """A hole the completeness gate found in a module's dossier: what a guide needs and
    the dossier does not say (``kind``), the components or sites concerned, the research
    question that would close it, and the scout answer that closed it, if one did."""

    kind: Literal[
        "undocumented", "no_signature", "no_callers", "untested", "errors", "configuration"
    ]
    components: list[str]
    detail: str
    question: str
    closed_by: str | None = None

    @property
    def label(self) -> str:
        closed = f" (answered by {self.closed_by})" if self.closed_by else ""
        return f"{self.kind}: {self.detail}{closed}"


class ResearchArtifact(Artifact):
    kind: Literal["research"] = "research"
    questions: list[ResearchQuestionArtifact]
    #: The completeness gate's findings (:mod:`.gaps`), open and closed.
    gaps: list[KnownGap] = []


# notebook -----------------------------------------------------------------------------------


class PageLink(Record):
    """Another page and what it is about (its one-line summary)."""

    id: str
    title: str
    summary: str


class CallStep(Record):
    """``caller`` calls ``callee`` at ``site``."""

    caller: str
    callee: str
    site: Citation


class CallPath(Record):
    steps: list[CallStep]


class Diagram(Record):
    """A Mermaid diagram the page shows, with what it stands for."""

    kind: Literal["dependencies", "architecture", "classes", "calls"]
    title: str
    source: str
    nodes: int
    omitted: int


class NotebookAnswer(Record):
    """A scout's answer as the notebook keeps it for the writer: the question, the
    answer, and the citations it carried."""

    id: str
    question: str
    answer: str
    citations: list[Citation]


class ModuleNotebook(Artifact):
    kind: Literal["notebook"] = "notebook"
    title: str
    summary: str
    purpose: list[Claim]
    parent: PageLink | None
    children: list[PageLink]
    call_paths: list[CallPath]
    diagrams: list[Diagram]
    research: list[str]
    #: The scout's answers to the module's research questions (none without a scout).
    answers: list[NotebookAnswer] = []


# sections -----------------------------------------------------------------------------------


class PageSectionArtifact(Record):
    """One section of a page as rendered, with everything in it that can be checked."""

    module: str
    id: str
    title: str
    order: int
    markdown: str
    citations: list[Citation]
    diagrams: list[str]
    links: list[str]
    components: list[str]


class SectionsArtifact(Artifact):
    kind: Literal["sections"] = "sections"
    title: str
    sections: list[PageSectionArtifact]


def load_artifact(data: dict[str, Any]) -> Artifact:
    """Parse any artifact from its JSON object (by its ``kind``)."""
    kinds: dict[str, type[Artifact]] = {
        "dossier": ComponentDossier,
        "research": ResearchArtifact,
        "notebook": ModuleNotebook,
        "sections": SectionsArtifact,
    }
    kind = data.get("kind")
    if kind not in kinds:
        raise ValueError(f"not a cocowiki artifact: kind {kind!r}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(
            f"artifact schema version {version!r}, this cocowiki reads {SCHEMA_VERSION}: "
            "run `cw build` again"
        )
    return kinds[kind].model_validate(data)
