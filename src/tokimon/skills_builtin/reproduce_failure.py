"""``reproduce_failure``: a traceback in, a minimal script that raises the same error out.

The traceback is a Python one (``File "x.py", line 3, in f``) or pytest's long form
(``tests/test_x.py:8: in test_y`` ... ``E   AssertionError``). From its frames inside
the repository the skill writes a script that loads the module of the call site and
runs only the failing line there (the smallest reproduction: one statement, no test
runner); when that line needs the frame's local variables, it calls the outermost
function of the repository instead (the test, which takes no arguments). It runs the
script and says whether the same exception type came back. The script is returned, not
saved: write it into the repository if it should stay.
"""

from __future__ import annotations

import re
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..skills.context import SkillContext

_PY_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')
_PYTEST_SHORT = re.compile(r"^(?P<path>[^\s:][^:]*\.py):(?P<line>\d+): in (?P<func>\S+)")
_PYTEST_LONG = re.compile(
    r"^(?P<path>[^\s:][^:]*\.py):(?P<line>\d+):(?: (?P<exc>[A-Za-z_][\w.]*))?\s*$"
)
_DEF = re.compile(r"^\s*(?:async\s+)?def (\w+)\(")
_EXCEPTION = re.compile(r"^(?:E\s+)?(?P<exc>[A-Za-z_][\w.]*)(?::\s?(?P<msg>.*))?$")


@dataclass
class Frame:
    path: str
    line: int
    func: str
    code: str = ""


def parse_traceback(text: str) -> tuple[list[Frame], str, str]:
    """Frames (outermost first), the exception type and its message.

    Reads Python's format, pytest's ``--tb=short`` (``path:line: in func``) and its default
    long format (the source shown with ``>`` at the failing line, then ``path:line:``).
    """
    frames: list[Frame] = []
    exc_type, message = "", ""
    section: list[str] = []
    lines = text.splitlines()
    for index, raw in enumerate(lines):
        match = _PY_FRAME.match(raw) or _PYTEST_SHORT.match(raw)
        if match:
            frame = Frame(match["path"], int(match["line"]), match["func"])
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if following.startswith(" ") and not _PY_FRAME.match(following):
                frame.code = following.strip()
            frames.append(frame)
            section = []
            continue
        long = _PYTEST_LONG.match(raw)
        if long:
            names = [m.group(1) for m in map(_DEF.match, section) if m]
            marked = [line[1:].strip() for line in section if line.startswith(">")]
            frames.append(
                Frame(
                    long["path"],
                    int(long["line"]),
                    names[-1] if names else "?",
                    marked[-1] if marked else "",
                )
            )
            if long["exc"]:
                exc_type = long["exc"]
            section = []
            continue
        section.append(raw)
        stripped = raw.strip()
        error_line = stripped.startswith("E ") or (stripped and not raw.startswith(" "))
        found = _EXCEPTION.match(stripped) if error_line else None
        if found and _looks_like_exception(found["exc"]):
            if stripped.startswith("E ") and exc_type and not message:
                message = found["msg"] or ""
            elif not stripped.startswith("E ") or not exc_type:
                exc_type, message = found["exc"], found["msg"] or ""
    return frames, exc_type.rsplit(".", 1)[-1], message


def _looks_like_exception(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last[:1].isupper() and (
        last.endswith(("Error", "Exception", "Exit", "Interrupt", "Warning", "Failure"))
        or last in ("StopIteration", "KeyboardInterrupt", "AssertionError")
    )


def _inside(ctx: SkillContext, path: str) -> Path | None:
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = ctx.repo / candidate
    try:
        real = candidate.resolve()
    except OSError:
        return None
    if real.is_file() and real.is_relative_to(ctx.repo) and "site-packages" not in real.parts:
        return real
    return None


def _source_line(path: Path, line: int) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()[line - 1].strip()
    except (OSError, IndexError):
        return ""


SCRIPT = '''\
"""Minimal reproduction of {exc}{shown_message}.

From {where} (strategy: {strategy}). Run from the repository root:
    python {name}
Exit status 0: reproduced; 1: not.
"""
import importlib.util
import sys
import traceback

REPO = {repo!r}
FILE = {file!r}
EXPECTED = {exc!r}
sys.path[:0] = [REPO, {folder!r}]
spec = importlib.util.spec_from_file_location({module!r}, FILE)
module = importlib.util.module_from_spec(spec)
sys.modules[{module!r}] = module
spec.loader.exec_module(module)
try:
{body}
except BaseException as exc:
    traceback.print_exc()
    same = type(exc).__name__ == EXPECTED
    print(("REPRODUCED: " if same else "DIFFERENT: ") + type(exc).__name__ + ": " + str(exc))
    sys.exit(0 if same else 1)
print("NOT REPRODUCED: no exception")
sys.exit(1)
'''


def _script(
    ctx: SkillContext, frame: Frame, file: Path, exc: str, message: str, strategy: str
) -> str:
    if strategy == "line":
        body = f"    exec(compile({frame.code!r}, FILE, 'exec'), vars(module))"
        where = f"{ctx.relative(file)}:{frame.line}, the failing line `{frame.code}`"
    else:
        body = f"    module.{frame.func}()"
        where = f"{ctx.relative(file)}, calling {frame.func}()"
    shown = f": {message[:80]}" if message else ""
    return SCRIPT.format(
        exc=exc or "an exception",
        shown_message=shown.replace('"""', "'''"),
        where=where,
        strategy=strategy,
        name="repro.py",
        repo=str(ctx.repo),
        file=str(file),
        folder=str(file.parent),
        module=f"repro_target_{file.stem}",
        body=body,
    )


def run(args: dict[str, Any], ctx: SkillContext) -> dict[str, Any]:
    frames, exc, message = parse_traceback(str(args["traceback"]))
    ours = [(f, p) for f in frames if (p := _inside(ctx, f.path)) is not None]
    if not ours:
        return {
            "text": "no frame of the traceback is in the repository; nothing to reproduce from",
            "is_error": True,
            "data": {"reproduced": False, "exception": exc},
        }
    for frame, path in ours:
        frame.code = frame.code or _source_line(path, frame.line)
    # The failing line of each calling frame, innermost first (the deepest frame's own line
    # needs its locals, unless it is the only one), then a call of the outermost function.
    callers = ours[:-1] if len(ours) > 1 else ours
    candidates = [(f, p, "line") for f, p in reversed(callers) if f.code][:3]
    outer, outer_path = ours[0]
    if outer.func != "<module>":
        candidates.append((outer, outer_path, "call"))
    attempts = []
    for frame, path, strategy in candidates:
        script = _script(ctx, frame, path, exc, message, strategy)
        result = _try(ctx, script)
        attempts.append({"strategy": strategy, "output": result[1][-1500:]})
        if result[0]:
            return {
                "text": f"reproduced {exc} with a {len(script.splitlines())}-line script "
                f"(strategy {strategy}):\n\n{script}\noutput:\n{result[1][-1500:]}",
                "data": {
                    "reproduced": True,
                    "exception": exc,
                    "strategy": strategy,
                    "script": script,
                },
            }
    tried = "\n".join(
        f"- {a['strategy']}: {a['output'].strip().splitlines()[-1:]}" for a in attempts
    )
    last_script = _script(ctx, *candidates[-1], exc, message) if candidates else ""
    return {
        "text": f"could not reproduce {exc or 'the failure'}; tried:\n{tried}\n\n"
        f"last script:\n{last_script}",
        "is_error": True,
        "data": {"reproduced": False, "exception": exc, "attempts": attempts},
    }


def _try(ctx: SkillContext, script: str) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory(prefix="tokimon-repro-") as folder:
        path = Path(folder) / "repro.py"
        path.write_text(textwrap.dedent(script), encoding="utf-8")
        done = ctx.run([sys.executable, str(path)], timeout=min(60.0, ctx.remaining()))
    return done.returncode == 0 and "REPRODUCED:" in done.stdout, done.stdout
