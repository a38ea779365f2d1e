"""``grep``: a regular expression over the repository's files, as ``path:line: text``.

Which files: the repository's own, as :func:`cocowiki.index.files.discover` lists them
(``git ls-files --cached --others --exclude-standard`` in a checkout, so ``.gitignore``
is respected; otherwise a walk that skips ``.git``, virtual environments, caches and
vendored directories like ``node_modules``). Symbolic links, binary files and files over
``max_file_bytes`` are skipped. The result is bounded three ways: by match count, by
line length (a long line is cut around its match) and by the call's time limit, which
the search checks between files; each cut is said in the output.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

import tiffany
from cocowiki.index.config import IndexConfig
from cocowiki.index.files import discover

from .base import ToolContext, define_tool
from .errors import ToolError
from .files import BINARY_PROBE, split_lines
from .output import ToolOutput
from .worktree import WorkTree


class GrepArgs(BaseModel):
    """Search the repository's files for a regular expression (Python syntax), line by line.

    Files git ignores and binary files are skipped. Each match is printed as
    'path:line: text'.
    """

    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(description="regular expression, such as 'def parse_\\w+'")
    path: str = Field(default=".", description="file or directory to search in")
    glob: str | None = Field(
        default=None, description="only files whose name matches, such as '*.py'"
    )
    ignore_case: bool = False


def _compile(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise ToolError(
            f"the pattern {pattern!r} is not a valid regular expression ({exc}); the syntax "
            "is Python's re: escape literal '.', '(', '[', '{', '*', '+' and '?' with '\\'"
        ) from None


def _candidates(tree: WorkTree, base: Path, glob: str | None) -> list[str]:
    """Paths (relative, POSIX) of the files to search under ``base``."""
    if base.is_file():
        return [tree.relative(base)]
    if not base.is_dir():
        raise ToolError(f"{tree.relative(base)!r} does not exist; list_dir shows what does")
    prefix = tree.relative(base)
    listed = discover(tree.root, IndexConfig()).listed
    if prefix != ".":
        listed = [path for path in listed if path.startswith(prefix + "/")]
    if glob:
        on_path = "/" in glob
        listed = [
            path
            for path in listed
            if fnmatch.fnmatchcase(path if on_path else path.rsplit("/", 1)[-1], glob)
        ]
    return listed


def _show(line: str, match: re.Match[str], limit: int) -> str:
    """The line, or the part of it around the match when it is longer than ``limit``."""
    if len(line) <= limit:
        return line
    start = max(0, min(match.start() - limit // 4, len(line) - limit))
    head = "…" if start else ""
    tail = "…" if start + limit < len(line) else ""
    return f"{head}{line[start : start + limit]}{tail} [line cut: {len(line):,} chars]"


def _search(args: GrepArgs, context: ToolContext) -> ToolOutput:
    tree, config = context.tree, context.config
    regex = _compile(args.pattern, args.ignore_case)
    # A whole-file pre-check skips files without a match at C speed; \A and \Z would
    # mean something else on the whole file, so such patterns go line by line only.
    anchored = "\\A" in args.pattern or "\\Z" in args.pattern
    whole = None if anchored else re.compile(args.pattern, regex.flags | re.MULTILINE)
    files = _candidates(tree, tree.resolve(args.path), args.glob)
    found: list[str] = []
    searched = oversize = 0
    stopped = ""
    for relative in files:
        if context.expired():
            stopped = (
                f"[stopped: the search reached its {context.timeout:g} s limit after "
                f"{searched:,} of {len(files):,} files; narrow the path or the glob]"
            )
            break
        full = tree.root / relative
        if full.is_symlink() or not full.is_file() or not tree.contains(full):
            continue
        if full.stat().st_size > config.max_file_bytes:
            oversize += 1
            continue
        data = full.read_bytes()
        if b"\0" in data[:BINARY_PROBE]:
            continue  # binary: no line of it is text to show
        searched += 1
        text = data.decode("utf-8", "replace")
        probe = text.replace("\r\n", "\n") if "\r" in text else text
        if whole is not None and whole.search(probe) is None:
            continue
        for number, raw in enumerate(split_lines(text), 1):
            line = raw.removesuffix("\r")
            match = regex.search(line)
            if match is None:
                continue
            if len(found) == config.grep_max_matches:
                stopped = (
                    f"[truncated: stopped at {len(found)} matches; narrow the pattern, "
                    "the path or the glob]"
                )
                break
            shown = _show(line, match, config.grep_max_line_chars)
            found.append(f"{relative}:{number}: {shown}")
        if stopped:
            break
    lines = found or [f"no matches for {args.pattern!r} in {searched:,} files"]
    if stopped:
        lines.append(stopped)
    if oversize:
        lines.append(f"({oversize:,} files over {config.max_file_bytes:,} bytes were not searched)")
    facts = {"matches": len(found), "files_searched": searched, "complete": not stopped}
    return ToolOutput("\n".join(lines) + "\n", data=facts)


async def grep(args: GrepArgs, context: ToolContext) -> ToolOutput:
    return await tiffany.to_thread(_search, args, context, cancellable=True)


GREP = define_tool(GrepArgs, grep, name="grep", timeout=30.0)
