"""The ``cw ask`` command as a plain function: exit 0 with evidence, 1 when none is found
or the model call fails, 2 on bad input (like ``grep``, so scripts can branch on it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from ..console import report_error
from ..errors import CocowikiError
from ..index import IndexConfig
from ..paths import output_dir
from ..results import Answer, to_json
from . import DEFAULT_LIMIT, ModelCallFailed

EXIT_OK = 0
EXIT_NOTHING = 1
EXIT_USAGE = 2
SNIPPET_PREVIEW_LINES = 4


def run_ask_command(
    repo: Path | None,
    output: Path | None,
    question: str,
    *,
    as_json: bool = False,
    limit: int = DEFAULT_LIMIT,
    model: str | None = None,
    index_config: IndexConfig | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Answer ``question`` and print the evidence (and the model's answer with ``model``)."""
    from ..api import ask_with, built_from_of  # the library's ask; it imports this package
    from ..verify.command import note_other_repository, repository_of

    out, err = stdout or sys.stdout, stderr or sys.stderr
    output_path = output_dir(repo, output)
    try:
        repo_path = repository_of(output_path, repo)
        answer = ask_with(repo_path, output_path, question, limit, model, index_config)
    except ModelCallFailed as exc:  # the model was reached: not a usage error
        report_error("ask", str(exc), as_json, out, err)
        return EXIT_NOTHING
    except CocowikiError as exc:
        return report_error("ask", str(exc), as_json, out, err)
    if as_json:
        out.write(json.dumps(to_json(answer), sort_keys=True) + "\n")
    else:
        out.write(format_answer(answer))
    if repo is not None:
        note_other_repository("ask", str(built_from_of(output_path) or ""), repo_path, err)
    return EXIT_OK if answer.evidence else EXIT_NOTHING


def format_answer(answer: Answer) -> str:
    """The answer as a person reads it in a terminal."""
    lines = [f"Q: {answer.question}", ""]
    if answer.answer is not None:
        lines += [f"A: {answer.answer or '(the model gave no sentence that cites the evidence)'}"]
        if answer.dropped_sentences:
            lines.append(f"   ({len(answer.dropped_sentences)} uncited sentence(s) left out)")
        lines.append("")
    if not answer.evidence:
        lines.append("No evidence found: try the names of functions or types, or other words.")
        return "\n".join(lines) + "\n"
    lines.append("Evidence:")
    for number, item in enumerate(answer.evidence, start=1):
        page = f"  [page {item.page}]" if item.page else ""
        lines.append(f"{number:>2}. {item.kind} {item.qualified_name}  {item.citation}{page}")
        if item.doc:
            lines.append(f"    {item.doc.splitlines()[0]}")
        if item.stale:
            lines.append("    (changed since it was indexed: run `cw index` to refresh)")
        else:
            preview = item.snippet.splitlines()[:SNIPPET_PREVIEW_LINES]
            lines += [f"    | {line}" for line in preview]
        lines.append(f"    found by: {', '.join(item.reasons)}")
    if answer.pages:
        lines += ["", "Wiki pages:"]
        for section in answer.pages:
            lines.append(f" - {section.citation}  {section.heading}")
            lines.append(f"   {section.snippet}")
    return "\n".join(lines) + "\n"
