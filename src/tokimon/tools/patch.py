"""``apply_patch``: a unified diff applied to the tree, every file or none.

Parsing is the ``unidiff`` library's. Before it parses, each hunk header is recounted from the
hunk's body, as ``git apply --recount`` does, because models get the line counts in
``@@ -a,b +c,d @@`` wrong far more often than the lines themselves (and a header that
is too short would otherwise drop the hunk's last lines without a word); a bare ``@@``
is accepted the same way, the hunk then being placed by its context alone.

Applying is done here, on lines in memory. A hunk is placed where its context and
removed lines match the file: at the line its header names if they match there,
otherwise at the nearest place that matches (the file changed above it), and, failing
an exact match, ignoring trailing whitespace. A hunk that matches nowhere fails the
whole patch with a message naming the file, the hunk header and the first line that
differs, and no file is touched: every file is computed before any is written, and a
write that fails half-way puts back the files already written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchedFile, PatchSet

import tiffany

from .base import ToolContext, define_tool
from .errors import ToolError
from .files import read_text, split_lines
from .output import ToolOutput
from .worktree import WorkTree

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
_FENCE = re.compile(r"^```[\w-]*$")
_DEV_NULL = "/dev/null"
_HOW = (
    "Send a unified diff: '--- a/PATH' and '+++ b/PATH' lines for each file, then hunks "
    "starting with '@@ -START,COUNT +START,COUNT @@' whose lines begin with ' ', '-' or '+'."
)


# == reading the diff ====================================================================


@dataclass(frozen=True, slots=True)
class _Header:
    """A hunk header as the model wrote it, and whether it gave a usable position."""

    text: str
    positioned: bool


def _starts_body(lines: list[str], index: int) -> bool:
    line = lines[index]
    if line.startswith(("@@", "diff --git ")):
        return False
    if line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ "):
        return False
    return line == "" or line[0] in " +-\\"


def _recount(patch: str) -> tuple[str, list[_Header]]:
    """The diff with each hunk header rewritten from its body; the original headers."""
    lines = patch.replace("\r\n", "\n").split("\n")
    if lines and _FENCE.match(lines[0].strip()):
        lines = lines[1:]
    while lines and lines[-1].strip() in ("", "```"):
        lines.pop()
    out: list[str] = []
    headers: list[_Header] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("@@"):
            out.append(line)
            index += 1
            continue
        end = index + 1
        while end < len(lines) and _starts_body(lines, end):
            end += 1
        body = lines[index + 1 : end]
        while body and not body[-1].strip():
            body.pop()  # blank lines after a hunk separate it from the next file
        body = [text or " " for text in body]
        old = sum(1 for text in body if text[0] in " -")
        new = sum(1 for text in body if text[0] in " +")
        match = _HUNK_HEADER.match(line.rstrip())
        headers.append(_Header(line.strip(), match is not None))
        source = int(match.group(1)) if match else int(old > 0)
        target = int(match.group(3)) if match else int(new > 0)
        section = match.group(5) if match else ""
        out.append(f"@@ -{source},{old} +{target},{new} @@{section}")
        out.extend(body)
        index = end
    return "\n".join(out) + "\n", headers


def _parse(patch: str) -> tuple[PatchSet, list[_Header]]:
    if not patch.strip():
        raise ToolError(f"the patch is empty. {_HOW}")
    text, headers = _recount(patch)
    try:
        patch_set = PatchSet(text)
    except UnidiffParseError as exc:
        raise ToolError(f"the patch could not be read: {exc}. {_HOW}") from None
    if not len(patch_set):
        raise ToolError(f"the patch names no file to change. {_HOW}")
    return patch_set, headers


def _paths(patched: PatchedFile) -> tuple[str | None, str | None]:
    """Source and target paths without git's ``a/``, ``b/`` prefixes (None: /dev/null)."""

    def clean(name: str | None) -> str | None:
        if name is None or name == _DEV_NULL:
            return None
        return name[1:-1] if len(name) > 1 and name[0] == name[-1] == '"' else name

    source, target = clean(patched.source_file), clean(patched.target_file)
    git_style = (source is None or source.startswith("a/")) and (
        target is None or target.startswith("b/")
    )
    if git_style:
        source = source[2:] if source else None
        target = target[2:] if target else None
    return source, target


# == applying hunks ======================================================================


@dataclass(slots=True)
class _Text:
    """A file as lines (each may keep a ``\\r``), and whether it ends with a newline."""

    lines: list[str]
    final_newline: bool = True
    crlf: bool = False

    @classmethod
    def parse(cls, text: str) -> _Text:
        lines = split_lines(text)
        crlf = sum(line.endswith("\r") for line in lines) * 2 > len(lines) > 0
        return cls(lines, text.endswith("\n") or not text, crlf)

    def render(self) -> str:
        if not self.lines:
            return ""
        return "\n".join(self.lines) + ("\n" if self.final_newline else "")


def _same(file_line: str, hunk_line: str, loose: bool) -> bool:
    mine = file_line.removesuffix("\r")
    return mine.rstrip() == hunk_line.rstrip() if loose else mine == hunk_line


def _outward(expected: int, low: int, high: int) -> Iterator[int]:
    """``low..high``, nearest to ``expected`` first."""
    expected = min(max(expected, low), high)
    yield expected
    for step in range(1, high - low + 1):
        if expected + step <= high:
            yield expected + step
        if expected - step >= low:
            yield expected - step
        if expected + step > high and expected - step < low:
            return


def _locate(lines: list[str], old: list[str], start: int, expected: int) -> tuple[int, bool] | None:
    """Where ``old`` matches at or after ``start``, nearest ``expected``; and if loosely."""
    last = len(lines) - len(old)
    if last < start:
        return None
    for loose in (False, True):
        for at in _outward(expected, start, last):
            if all(_same(lines[at + k], old[k], loose) for k in range(len(old))):
                return at, loose
    return None


def _mismatch(lines: list[str], old: list[str], start: int, expected: int) -> str:
    """Why ``old`` matches nowhere: where it comes closest, and its first differing line."""
    best_at, best_count = start, -1
    for at in _outward(expected, start, max(start, len(lines) - 1)):
        count = 0
        while count < len(old) and at + count < len(lines):
            if not _same(lines[at + count], old[count], True):
                break
            count += 1
        if count > best_count:
            best_at, best_count = at, count
    if best_count <= 0:
        where = f" at or after line {start + 1}" if start else ""
        return f"its first line {old[0]!r} is not in the file{where}"
    number = best_at + best_count
    found = repr(lines[number].removesuffix("\r")) if number < len(lines) else "the end of the file"
    return (
        f"its first {best_count} line(s) match the file at line {best_at + 1}, but then "
        f"line {best_count + 1} of the hunk is {old[best_count]!r} where the file (line "
        f"{number + 1}) has {found}"
    )


@dataclass(slots=True)
class _Applied:
    text: _Text
    notes: list[str] = field(default_factory=list)


def _apply_hunks(
    text: _Text, patched: PatchedFile, headers: Iterator[_Header], shown: str
) -> _Applied:
    lines = text.lines
    result: list[str] = []
    final_newline = text.final_newline
    position = drift = 0
    notes: list[str] = []
    for number, hunk in enumerate(patched, 1):
        header = next(headers, None) or _Header(str(hunk).split("\n", 1)[0], True)
        old = [line.value.rstrip("\n") for line in hunk if line.line_type in " -"]
        declared = hunk.source_start - (1 if old else 0)
        expected = declared + drift if header.positioned else position
        if not old:
            found: tuple[int, bool] | None = (min(max(expected, position), len(lines)), False)
        else:
            found = _locate(lines, old, position, expected)
        if found is None:
            reason = _mismatch(lines, old, position, expected) if lines else "the file is empty"
            raise ToolError(
                f"apply_patch changed nothing: hunk {number} of {shown!r} does not apply.\n"
                f"  {header.text}\n  {reason}.\n"
                "Read the file again and write the hunk against its current content."
            )
        at, loose = found
        if header.positioned and at != expected:
            notes.append(f"hunk {number} of {shown} applied at line {at + 1}, not {declared + 1}")
        if loose:
            notes.append(f"hunk {number} of {shown} matched ignoring trailing whitespace")
        drift = at - declared
        result.extend(lines[position:at])
        cursor = at
        previous = ""
        for line in hunk:
            kind = line.line_type
            if kind == " ":
                result.append(lines[cursor])
                cursor += 1
            elif kind == "-":
                cursor += 1
            elif kind == "+":
                result.append(line.value.rstrip("\n") + ("\r" if text.crlf else ""))
            elif kind == "\\" and previous in (" ", "+") and cursor == len(lines):
                final_newline = False
            previous = kind
        if cursor == len(lines) and previous != "\\":
            final_newline = True
        position = cursor
    result.extend(lines[position:])
    return _Applied(_Text(result, final_newline, text.crlf), notes)


# == the patch as a whole ================================================================


@dataclass(frozen=True, slots=True)
class FileChange:
    """What a patch did to one file."""

    path: str
    change: str  # "added", "modified", "deleted" or "renamed"
    added: int
    removed: int
    renamed_from: str | None = None

    def describe(self) -> str:
        name = f"{self.renamed_from} -> {self.path}" if self.renamed_from else self.path
        counts = [f"+{self.added}"] if self.added else []
        counts += [f"-{self.removed}"] if self.removed else []
        detail = f" ({' '.join(counts)})" if counts else ""
        return f"{self.change[0].upper()} {name}{detail}"


class _Staging:
    """The new contents of every file the patch touches (None: deleted), in order."""

    def __init__(self, tree: WorkTree, context: ToolContext) -> None:
        self.tree = tree
        self.context = context
        self.contents: dict[Path, str | None] = {}

    def exists(self, real: Path) -> bool:
        if real in self.contents:
            return self.contents[real] is not None
        return real.exists()

    def read(self, path: str) -> tuple[Path, _Text]:
        real = self.tree.resolve_writable(path)
        if real in self.contents:
            staged = self.contents[real]
            if staged is None:
                raise ToolError(f"the patch changes {path!r} after deleting it")
            return real, _Text.parse(staged)
        real, text = read_text(self.tree, path, self.context)
        return real, _Text.parse(text)

    def commit(self) -> None:
        """Write every file; on a failure, put back those already written, then raise."""
        originals = {real: real.read_bytes() if real.exists() else None for real in self.contents}
        done: list[Path] = []
        try:
            for real, content in self.contents.items():
                if content is None:
                    real.unlink()
                else:
                    self.tree.write(real, content)
                done.append(real)
        except OSError as exc:
            for real in done:
                original = originals[real]
                if original is None:
                    real.unlink(missing_ok=True)
                else:
                    self.tree.write(real, original)
            shown = self.tree.relative(Path(exc.filename)) if exc.filename else "a file"
            raise ToolError(
                f"apply_patch changed nothing: writing {shown} failed ({exc.strerror})"
            ) from None


def _stage_file(
    staging: _Staging, patched: PatchedFile, headers: Iterator[_Header]
) -> tuple[FileChange, list[str]]:
    if patched.is_binary_file:
        raise ToolError(
            f"the patch changes the binary file {patched.path!r}; only text can be patched"
        )
    source, target = _paths(patched)
    tree = staging.tree
    if source is None:
        assert target is not None
        real = tree.resolve_writable(target)
        if staging.exists(real):
            raise ToolError(
                f"apply_patch changed nothing: the patch creates {target!r}, which already "
                "exists; write a diff against its current content instead"
            )
        applied = _apply_hunks(_Text([]), patched, headers, target)
        staging.contents[real] = applied.text.render()
        return FileChange(tree.relative(real), "added", patched.added, 0), applied.notes
    real_source, text = staging.read(source)
    applied = _apply_hunks(text, patched, headers, source)
    if target is None:
        if applied.text.lines:
            raise ToolError(
                f"apply_patch changed nothing: the patch deletes {source!r}, but its hunks "
                f"leave {len(applied.text.lines)} line(s) of it"
            )
        staging.contents[real_source] = None
        change = FileChange(tree.relative(real_source), "deleted", 0, patched.removed)
        return change, applied.notes
    real_target = tree.resolve_writable(target)
    renamed = real_target != real_source
    if renamed:
        if staging.exists(real_target):
            raise ToolError(
                f"apply_patch changed nothing: the patch renames {source!r} to {target!r}, "
                "which already exists"
            )
        staging.contents[real_source] = None
    staging.contents[real_target] = applied.text.render()
    change = FileChange(
        tree.relative(real_target),
        "renamed" if renamed else "modified",
        patched.added,
        patched.removed,
        tree.relative(real_source) if renamed else None,
    )
    return change, applied.notes


@dataclass(frozen=True, slots=True)
class PatchResult:
    """The files a patch changed, and notes on hunks placed away from their headers."""

    changes: tuple[FileChange, ...]
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        lines = [f"applied the patch to {len(self.changes)} file(s):"]
        lines += [f"  {change.describe()}" for change in self.changes]
        lines += self.notes
        return "\n".join(lines) + "\n"


def apply_unified_diff(tree: WorkTree, patch: str, context: ToolContext) -> PatchResult:
    """Apply ``patch`` to ``tree``; every file is changed, or none and a :class:`ToolError`."""
    patch_set, headers = _parse(patch)
    header_iter = iter(headers)
    staging = _Staging(tree, context)
    changes: list[FileChange] = []
    notes: list[str] = []
    for patched in patch_set:
        change, file_notes = _stage_file(staging, patched, header_iter)
        changes.append(change)
        notes.extend(file_notes)
    staging.commit()
    return PatchResult(tuple(changes), tuple(notes))


class ApplyPatchArgs(BaseModel):
    """Apply a unified diff (as `git diff` or `diff -u` print it) to files of the repository.

    Several files and hunks at once; '--- /dev/null' creates a file, '+++ /dev/null'
    deletes one. Every hunk must match the current file (its position may have moved);
    if one does not, nothing is changed and the error shows the first differing line.
    """

    model_config = ConfigDict(extra="forbid")

    patch: str = Field(description="the unified diff")


def _apply(args: ApplyPatchArgs, context: ToolContext) -> ToolOutput:
    result = apply_unified_diff(context.tree, args.patch, context)
    files = [
        {
            "path": change.path,
            "change": change.change,
            "added": change.added,
            "removed": change.removed,
            "renamed_from": change.renamed_from,
        }
        for change in result.changes
    ]
    return ToolOutput(result.describe(), data={"files": files, "notes": list(result.notes)})


async def apply_patch(args: ApplyPatchArgs, context: ToolContext) -> ToolOutput:
    return await tiffany.to_thread(_apply, args, context)


APPLY_PATCH = define_tool(
    ApplyPatchArgs, apply_patch, name="apply_patch", timeout=30.0, writes=True
)
