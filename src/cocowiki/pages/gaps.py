"""The completeness gate: what a module's guide needs and its dossier does not say.

Between the dossier and the research, each module's :class:`ComponentDossier` is checked
against what a guide needs: every public component with a signature and a doc comment
(or a stated absence), someone who uses it, tests that exercise the module, and what the
dossier cannot know at all, the errors its code raises and the configuration it reads
(found by a search of its files). Each hole is a :class:`KnownGap` with its kind, the
components (or sites) concerned, and the research question that would close it.

Without a scout the gaps are reported as they are (in ``cw build --json`` and the
viewer); with one (``[research] model``), each gap is asked as a question and closes only
when the scout's frozen answer cites lines that resolve (:func:`close_gaps`).
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Sequence

from ..plan.model import Module
from .artifacts import ComponentDossier, KnownGap, ResearchQuestionArtifact
from .facts import RepositoryFacts, is_confident

#: Components or sites named in a gap's detail; the list keeps them all.
SHOWN = 5
#: Lines that raise an error, by a search any language's files share.
ERRORS_REGEX = r"\b(raise|throw|panic!|Err\()\s*[\w(]"
#: Lines that read the environment or a configuration.
CONFIG_REGEX = r"(os\.environ|getenv|env::var|process\.env|System\.getenv|ConfigParser|tomllib)"
_CALLABLE = frozenset({"function", "method", "class", "struct", "interface", "trait"})


def completeness_gate(
    facts: RepositoryFacts, module: Module, dossier: ComponentDossier
) -> list[KnownGap]:
    """The module's known gaps, in a fixed order of kinds (none for a module of no code)."""
    public = [c for c in dossier.components if c.id in set(dossier.public_api)]
    if not dossier.files:
        return []
    gaps: list[KnownGap] = []
    title = module.title
    undocumented = [c.id for c in public if not c.summary]
    if undocumented:
        gaps.append(
            _gap(
                "undocumented",
                undocumented,
                "public components with no doc comment",
                f"What do these public components of {title} do, and how are they used: "
                f"{_names(undocumented)}?",
            )
        )
    unsigned = [c.id for c in public if c.kind in _CALLABLE and not c.signature]
    if unsigned:
        gaps.append(
            _gap(
                "no_signature",
                unsigned,
                "public components whose signature the index did not record",
                f"What are the signatures of {_names(unsigned)} in {title}?",
            )
        )
    top = [c.id for c in public if c.parent_id in (None, c.citation.path)]
    unused = _unused(facts, dossier, top)
    if unused:
        gaps.append(
            _gap(
                "no_callers",
                unused,
                "public components nothing in the index references",
                f"Who uses {_names(unused)} of {title} (callers outside the index, entry "
                "points, reflection, a public API for other packages)?",
            )
        )
    if public and not dossier.tests and module.kind == "code":
        gaps.append(
            _gap(
                "untested",
                [],
                "no test file references the module",
                f"Which tests exercise {title}, directly or through other modules?",
            )
        )
    for kind, regex, what, question in (
        (
            "errors",
            ERRORS_REGEX,
            "sites raise errors the dossier does not describe",
            f"Which errors does {title} raise, when, and how do callers handle them?",
        ),
        (
            "configuration",
            CONFIG_REGEX,
            "sites read configuration or the environment",
            f"Which configuration and environment variables does {title} read, and what do "
            "they change?",
        ),
    ):
        sites = _search(facts, dossier, regex)
        if sites:
            gaps.append(_gap(kind, sites, f"{len(sites)} {what}", question))
    return gaps


def _gap(kind: str, components: list[str], detail: str, question: str) -> KnownGap:
    shown = f" ({_names(components)})" if components else ""
    count = f"{len(components)} " if components and not detail[0].isdigit() else ""
    return KnownGap(
        kind=kind,  # type: ignore[arg-type]
        components=components,
        detail=f"{count}{detail}{shown}",
        question=question,
    )


def _names(ids: Sequence[str]) -> str:
    short = [i.split("#", 1)[-1] for i in ids[:SHOWN]]
    more = f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else ""
    return ", ".join(short) + more


def _unused(facts: RepositoryFacts, dossier: ComponentDossier, ids: Iterable[str]) -> list[str]:
    """Of ``ids``, those no confident reference from another file points at."""
    used: set[str] = set()
    for file in dossier.files:
        for ref in facts.refs_into_file.get(file.path, []):
            if ref.target_id is not None and ref.path != file.path and is_confident(ref.confidence):
                used.add(ref.target_id)
    return [i for i in ids if i not in used]


def _search(facts: RepositoryFacts, dossier: ComponentDossier, regex: str) -> list[str]:
    """``path:line`` of each line of the module's files the regex matches (a Grep each,
    so the sites are footprints of the page like any research lookup)."""
    sites: list[str] = []
    for file in dossier.files:
        matches, _ = facts.explorer.grep(regex, glob.escape(file.path))
        sites.extend(f"{m.path}:{m.line}" for m in matches)
    return sites


def gap_question_id(gap: KnownGap) -> str:
    return f"gap-{gap.kind.replace('_', '-')}"


def close_gaps(gaps: list[KnownGap], answers: Iterable[ResearchQuestionArtifact]) -> list[KnownGap]:
    """The gaps, each closed by the scout answer to its question when that answer was
    given (not stopped by a budget) and cites lines that resolved when it was frozen."""
    by_id = {a.id: a for a in answers}
    closed: list[KnownGap] = []
    for gap in gaps:
        answer = by_id.get(gap_question_id(gap))
        good = (
            answer is not None and answer.cited and (answer.scout is None or answer.scout.answered)
        )
        closed.append(gap.model_copy(update={"closed_by": answer.id}) if good and answer else gap)
    return closed
