"""``cw eval``: how good a wiki is, with numbers, against the repository's own documentation.

The deterministic measures (:mod:`.measures`) come first and need no model; with
``--judge PROVIDER:MODEL`` (repeatable) a rubric is built from the reference
documentation by the first judge, frozen in ``<wiki>/eval/`` (or ``--cache``), and every
judge judges the wiki on it ``--repeats`` times, the spread reported. ``--compare
OTHER_WIKI`` measures and judges a second wiki on the same rubric, side by side.
Judges' answers go through the response cache beside the rubric, so a rerun is free.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

import tiffany
from tiffany.models import ConfigError as ModelConfigError
from tiffany.models import ModelError, client

from ..config import ConfigError, load_config
from ..console import report_error
from ..index import IndexingError, check_repository
from ..mermaid import MermaidUnavailable, check_diagrams
from ..paths import output_dir
from .measures import load_wiki, measure
from .rubric import Rubric, RubricError, build_rubric, judge_wiki, reference_text, spread

EXIT_OK = 0


def run_eval_command(
    repo: Path | None = None,
    wiki: Path | None = None,
    *,
    reference: Path | None = None,
    judges: list[str] | None = None,
    repeats: int = 1,
    compare: Path | None = None,
    cache: Path | None = None,
    as_json: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        root = check_repository(repo if repo is not None else Path.cwd())
        folder = output_dir(root, wiki)
        wikis = {"wiki": folder, **({"compare": compare} if compare is not None else {})}
        for name, path in wikis.items():
            if not path.is_dir():
                raise RubricError(f"{name}: no such wiki folder: {path}")
        index = _index(root, folder)
        report: dict[str, Any] = {
            "repository": str(root),
            "wikis": {name: str(path) for name, path in wikis.items()},
            "measures": {
                name: measure(path, root, index, _diagrams).to_dict()
                for name, path in wikis.items()
            },
        }
        if judges:
            if repeats < 1:
                raise RubricError("--repeats must be at least 1")
            report["judged"] = tiffany.run(
                _judge, root, wikis, reference, judges, repeats, cache or folder / "eval"
            )
    except (RubricError, ConfigError, IndexingError, ModelError, ModelConfigError) as exc:
        return report_error("eval", str(exc), as_json, out, err)
    out.write(json.dumps(report, indent=2) + "\n" if as_json else format_report(report))
    return EXIT_OK


def _index(root: Path, wiki: Path) -> Any:
    from ..verify.treeindex import current_index

    return current_index(root, wiki, load_config(wiki).index)


def _diagrams(texts: list[str]) -> list[str | None] | None:
    try:
        return check_diagrams(texts)
    except MermaidUnavailable:
        return None


async def _judge(
    root: Path,
    wikis: dict[str, Path],
    reference: Path | None,
    judges: list[str],
    repeats: int,
    cache: Path,
) -> dict[str, Any]:
    clients = {spec: client(spec, cache=cache / "responses") for spec in judges}
    text = reference_text(root, reference)
    rubric, reused = await build_rubric(clients[judges[0]], judges[0], text, cache)
    pages = {name: load_wiki(path) for name, path in wikis.items()}
    judged: dict[str, Any] = {}
    for name, wiki_pages in pages.items():
        passes = []
        for spec in judges:
            for attempt in range(repeats):
                llm = clients[spec] if attempt == 0 else _fresh(spec, cache, attempt)
                passes.append(await judge_wiki(llm, spec, rubric, wiki_pages))
        judged[name] = {
            "score": spread([p.score for p in passes]),
            "topics": {
                topic.name: spread([p.topics.get(topic.name) for p in passes])
                for topic in rubric.topics
            },
            "passes": [
                {"judge": p.judge, "score": p.score, "judged": p.judged, "unjudged": p.unjudged}
                for p in passes
            ],
        }
    return {"rubric": _rubric_summary(rubric, reused), **judged}


def _fresh(spec: str, cache: Path, attempt: int) -> Any:
    """A client for a repeated pass: its own cache folder, so the repeat is a new
    judgment (a shared cache would replay the first pass), cached for reruns all the same."""
    return client(spec, cache=cache / f"responses-repeat-{attempt}")


def _rubric_summary(rubric: Rubric, reused: bool) -> dict[str, Any]:
    return {
        "judge": rubric.judge,
        "reference_digest": rubric.reference_digest,
        "topics": [t.name for t in rubric.topics],
        "requirements": rubric.leaves(),
        "from_cache": reused,
    }


def format_report(report: dict[str, Any]) -> str:
    names = list(report["measures"])
    rows = [
        ("citation validity", "citation_validity", True),
        ("cited paragraphs", "cited_paragraph_share", True),
        ("public-API coverage", "public_api_coverage", True),
        ("diagram validity", "diagram_validity", True),
        ("broken links", "broken_links", False),
        ("pages per 1,000 lines", "pages_per_kloc", False),
        ("truthfulness", "truthfulness", True),
        ("pages", "pages", False),
    ]
    lines = ["measure".ljust(24) + "".join(name.rjust(14) for name in names)]
    for label, key, share in rows:
        cells = [_cell(report["measures"][name].get(key), share) for name in names]
        lines.append(label.ljust(24) + "".join(cell.rjust(14) for cell in cells))
    judged = report.get("judged")
    if judged:
        rubric = judged["rubric"]
        lines.append(
            f"rubric: {len(rubric['topics'])} topics, {rubric['requirements']} requirements, "
            f"by {rubric['judge']}" + (" (from cache)" if rubric["from_cache"] else "")
        )
        for name in names:
            score = judged[name]["score"]
            lines.append(
                f"judged {name}: {_cell(score['mean'], True)} "
                f"(stdev {score['stdev']}, {score['passes']} passes)"
            )
    return "\n".join(lines) + "\n"


def _cell(value: Any, share: bool) -> str:
    if value is None:
        return "n/a"
    if share:
        return f"{100 * value:.1f}%"
    return str(value)
