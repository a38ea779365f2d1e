"""``read_file``, ``write_file`` and ``list_dir``: the agent's hands and eyes on the tree.

Each does its disk work in a worker thread (:func:`tiffany.to_thread`), so a slow disk
never stalls the kernel. Reads may walk away when cancelled; writes are not abandoned
half-way (``cancellable=False``), so a timed-out call never leaves the caller unsure
whether a write is still coming.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

import tiffany

from .base import ToolContext, define_tool
from .errors import ToolError
from .output import ToolOutput, truncation_marker
from .worktree import WorkTree

BINARY_PROBE = 8192
MAX_LIST_ENTRIES = 500


def split_lines(text: str) -> list[str]:
    """Lines as editors, ``grep`` and diffs number them: split on ``\\n`` only."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def read_text(tree: WorkTree, path: str, context: ToolContext) -> tuple[Path, str]:
    """A text file of the tree, with the errors a model can act on."""
    real = tree.resolve(path)
    if not real.exists():
        parent = tree.relative(real.parent) if real.parent.is_dir() else "."
        raise ToolError(f"{path!r} does not exist; list_dir({parent!r}) shows what is there")
    if real.is_dir():
        raise ToolError(f"{path!r} is a directory; use list_dir to see its contents")
    size = real.stat().st_size
    if size > context.config.max_file_bytes:
        raise ToolError(
            f"{path!r} is {size:,} bytes, over the {context.config.max_file_bytes:,}-byte "
            "limit for reading; use grep to find the lines you need"
        )
    data = real.read_bytes()
    if b"\0" in data[:BINARY_PROBE]:
        raise ToolError(f"{path!r} is a binary file ({size:,} bytes); only text can be read")
    return real, data.decode("utf-8", "replace")


# == read_file ===========================================================================


class ReadFileArgs(BaseModel):
    """Read a text file of the repository, whole or a range of lines.

    Long files are cut at the output limit; the end of the output then says which
    start_line to continue from.
    """

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="file path relative to the repository root")
    start_line: int = Field(default=1, ge=1, description="first line to show (1-based)")
    end_line: int | None = Field(default=None, ge=1, description="last line to show")


def _read(args: ReadFileArgs, context: ToolContext) -> ToolOutput:
    real, text = read_text(context.tree, args.path, context)
    lines = split_lines(text)
    total = len(lines)
    if not total:
        return ToolOutput("(the file is empty)\n", data={"path": args.path, "lines": 0})
    if args.start_line > total:
        raise ToolError(
            f"{args.path!r} has {total} lines; start_line {args.start_line} is past them"
        )
    last = min(args.end_line or total, total)
    if last < args.start_line:
        raise ToolError(f"end_line {args.end_line} is before start_line {args.start_line}")
    budget = context.config.max_output_bytes - 200
    shown: list[str] = []
    used = 0
    number = args.start_line
    while number <= last:
        line = lines[number - 1]
        cost = len(line.encode("utf-8")) + 1
        if used + cost > budget and shown:
            break
        shown.append(line)
        used += cost
        number += 1
    body = "\n".join(shown) + ("\n" if shown else "")
    data = {
        "path": context.tree.relative(real),
        "lines": total,
        "start_line": args.start_line,
        "end_line": number - 1,
    }
    if number <= last:
        rest = sum(len(line.encode("utf-8")) + 1 for line in lines[number - 1 : last])
        body += (
            f"{truncation_marker(rest)} (the file has {total} lines; "
            f"continue with start_line={number})\n"
        )
    return ToolOutput(body, data=data)


async def read_file(args: ReadFileArgs, context: ToolContext) -> ToolOutput:
    return await tiffany.to_thread(_read, args, context, cancellable=True)


# == write_file ==========================================================================


class WriteFileArgs(BaseModel):
    """Create a file or replace its whole content; missing directories are created.

    To change part of an existing file, apply_patch is usually shorter.
    """

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="file path relative to the repository root")
    content: str = Field(description="the complete new content of the file")


def _write(args: WriteFileArgs, context: ToolContext) -> ToolOutput:
    tree = context.tree
    real = tree.resolve_writable(args.path)
    previous = real.stat().st_size if real.exists() else None
    tree.write(real, args.content)
    size = len(args.content.encode("utf-8"))
    lines = len(split_lines(args.content))
    what = "new file" if previous is None else f"replaced {previous:,} bytes"
    relative = tree.relative(real)
    return ToolOutput(
        f"wrote {size:,} bytes ({lines} lines) to {relative} ({what})",
        data={"path": relative, "bytes": size, "created": previous is None},
    )


async def write_file(args: WriteFileArgs, context: ToolContext) -> ToolOutput:
    return await tiffany.to_thread(_write, args, context)


# == list_dir ============================================================================


class ListDirArgs(BaseModel):
    """List a directory of the repository: sub-directories end in '/', files show sizes.

    With depth above 1, sub-directories are listed too, indented.
    """

    model_config = ConfigDict(extra="forbid")

    path: str = Field(default=".", description="directory relative to the repository root")
    depth: int = Field(default=1, ge=1, le=4, description="how many levels to list")


def _entry_line(tree: WorkTree, entry: os.DirEntry[str], indent: str) -> tuple[str, bool]:
    """One listing line, and whether the entry is a directory to descend into."""
    if entry.is_symlink():
        target = os.readlink(entry.path)
        where = "" if tree.contains(Path(entry.path)) else " (outside the repository)"
        return f"{indent}{entry.name} -> {target}{where}", False
    if entry.is_dir():
        return f"{indent}{entry.name}/", True
    return f"{indent}{entry.name}  {entry.stat().st_size:,} bytes", False


def _list(args: ListDirArgs, context: ToolContext) -> ToolOutput:
    tree = context.tree
    real = tree.resolve(args.path)
    if not real.is_dir():
        what = "a file; use read_file" if real.exists() else "not there"
        raise ToolError(f"{args.path!r} is {what}")
    lines: list[str] = []
    skipped = 0

    def walk(directory: Path, level: int) -> None:
        nonlocal skipped
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda e: (not e.is_dir(follow_symlinks=False), e.name))
        for entry in entries:
            if len(lines) >= MAX_LIST_ENTRIES:
                skipped += 1
                continue
            line, descend = _entry_line(tree, entry, "  " * (level - 1))
            lines.append(line)
            if descend and level < args.depth and entry.name not in context.config.protected:
                walk(Path(entry.path), level + 1)

    walk(real, 1)
    relative = tree.relative(real)
    header = f"{relative}/" if relative != "." else "./"
    if not lines:
        lines.append("(empty)")
    if skipped:
        lines.append(f"[truncated: {skipped:,} more entries; list a sub-directory instead]")
    return ToolOutput(
        header + "\n" + "\n".join(lines) + "\n",
        data={"path": relative, "entries": len(lines) + skipped},
    )


async def list_dir(args: ListDirArgs, context: ToolContext) -> ToolOutput:
    return await tiffany.to_thread(_list, args, context, cancellable=True)


READ_FILE = define_tool(ReadFileArgs, read_file, name="read_file", timeout=15.0)
WRITE_FILE = define_tool(WriteFileArgs, write_file, name="write_file", timeout=15.0, writes=True)
LIST_DIR = define_tool(ListDirArgs, list_dir, name="list_dir", timeout=15.0)
