"""The ``cw ask`` command as a plain function: exit 0 with evidence, 1 when none is found
or the model call fails, 2 on bad input (like ``grep``, so scripts can branch on it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from tiffany.models import ModelClient, ModelError, client

from ..index import IndexConfig, IndexingError
from ..paths import output_dir
from . import DEFAULT_LIMIT, Answer, ask

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
    out, err = stdout or sys.stdout, stderr or sys.stderr
    repo_path = repo if repo is not None else Path.cwd()
    output_path = output_dir(repo_path, output)

    def fail(message: str, status: int) -> int:
        if as_json:
            out.write(json.dumps({"error": message}) + "\n")
        else:
            err.write(f"cw ask: error: {message}\n")
        return status

    if not question.strip():
        return fail('the question is empty: cw ask "how are requests retried?"', EXIT_USAGE)
    if limit < 1:
        return fail(f"--limit must be at least 1, not {limit}", EXIT_USAGE)
    if not repo_path.is_dir():
        return fail(f"repository path is not a directory: {repo_path}", EXIT_USAGE)
    llm: ModelClient | None = None
    try:
        if model:
            llm = client(model)
        answer = ask(
            repo_path, output_path, question, limit=limit, llm=llm, index_config=index_config
        )
    except IndexingError as exc:
        return fail(str(exc), EXIT_USAGE)
    except ModelError as exc:
        return fail(f"model {model}: {exc}", EXIT_USAGE if llm is None else EXIT_NOTHING)
    if as_json:
        out.write(json.dumps(answer.to_json(), sort_keys=True) + "\n")
    else:
        out.write(format_answer(answer))
    return EXIT_OK if answer.evidence else EXIT_NOTHING


def format_answer(answer: Answer) -> str:
    """The answer as a person reads it in a terminal."""
    lines = [f"Q: {answer.question}", ""]
    if answer.text is not None:
        lines += [f"A: {answer.text or '(the model gave no sentence that cites the evidence)'}"]
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
    if answer.sections:
        lines += ["", "Wiki pages:"]
        for section in answer.sections:
            lines.append(f" - {section.citation}  {section.heading}")
            lines.append(f"   {section.snippet}")
    return "\n".join(lines) + "\n"
