"""``summarize_test_run``: a failing test run as a short list of distinct problems.

Given a run's output (or, without one, running the repository's test command on the
targets given, with a JUnit report), it finds each failing test, the error it ended in
and the deepest place in the repository the error came from, then groups failures that
share an error type and location: ten tests failing on one bad line are one problem.
Each group comes with its tests, the message, and where to look first.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..skills.context import SkillContext
from ..tools.testrun import read_junit
from ..tools.worktree import WorkTree

_SUMMARY_LINE = re.compile(r"^(FAILED|ERROR) (\S+?)(?: - (.*))?$")
_SECTION = re.compile(r"^_{3,} (?:ERROR (?:at \w+ of |collecting ))?(.+?) _{3,}$")
_LOCATION = re.compile(r"^([^\s:][^:]*\.py):(\d+):(?: (?:in \S+|([A-Za-z_][\w.]*)))?\s*$")
_PY_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+), in \S+')
_E_LINE = re.compile(r"^E\s+(.*)$")
_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped)\b")


def run(args: dict[str, Any], ctx: SkillContext) -> dict[str, Any]:
    output = args.get("output")
    failures: list[dict[str, Any]]
    counts: dict[str, int]
    if output:
        failures, counts = parse_output(str(output)), _counts(str(output))
    else:
        failures, counts, output = _run_tests(ctx, list(args.get("targets") or []))
    for failure in failures:
        failure["location"] = _deepest(ctx.repo, failure.get("locations", [])) or ""
    groups = group_failures(failures)
    lines = [
        "test run: "
        + (", ".join(f"{n} {k}" for k, n in counts.items()) or "counts unknown")
        + f"; {len(failures)} failing test(s) in {len(groups)} distinct problem(s)"
    ]
    for number, group in enumerate(groups, 1):
        lines.append(
            f"\n{number}. {group['error']}"
            + (f" at {group['location']}" if group["location"] else "")
        )
        if group["message"]:
            lines.append(f"   message: {group['message'][:300]}")
        shown = group["tests"][:8]
        more = len(group["tests"]) - len(shown)
        lines.append(
            f"   tests ({len(group['tests'])}): "
            + ", ".join(shown)
            + (f" +{more} more" if more else "")
        )
        if group["location"]:
            lines.append(f"   look first at {group['location']}")
    if not failures:
        lines.append("no failing tests found in the output")
    return {"text": "\n".join(lines), "data": {"counts": counts, "groups": groups}}


def parse_output(text: str) -> list[dict[str, Any]]:
    """Failing tests from pytest output: its short summary and its failure sections."""
    failures: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        match = _SUMMARY_LINE.match(line.strip())
        if match:
            error, _, message = (match.group(3) or "").partition(": ")
            failures.setdefault(
                match.group(2),
                {
                    "test": match.group(2),
                    "kind": match.group(1).lower(),
                    "error": error.strip() or "failure",
                    "message": message.strip(),
                    "locations": [],
                },
            )
    for name, body in _sections(text):
        target = next(
            (f for t, f in failures.items() if t.endswith("::" + name) or t == name), None
        )
        if target is None:
            target = failures.setdefault(
                name,
                {
                    "test": name,
                    "kind": "failed",
                    "error": "failure",
                    "message": "",
                    "locations": [],
                },
            )
        _read_section(target, body)
    return list(failures.values())


def _sections(text: str) -> Iterable[tuple[str, list[str]]]:
    name: str | None = None
    body: list[str] = []
    for line in text.splitlines():
        header = _SECTION.match(line.strip())
        if header or line.startswith(("=====", "----")):
            if name is not None:
                yield name, body
            name, body = (header.group(1).strip(), []) if header else (None, [])
            continue
        if name is not None:
            body.append(line)
    if name is not None:
        yield name, body


def _read_section(failure: dict[str, Any], body: list[str]) -> None:
    errors = [m.group(1) for m in map(_E_LINE.match, body) if m]
    for line in body:
        location = _LOCATION.match(line.strip()) or _PY_FRAME.match(line)
        if location:
            failure["locations"].append(f"{location.group(1)}:{location.group(2)}")
            if _LOCATION.match(line.strip()) and location.group(3):
                failure["error"] = location.group(3).rsplit(".", 1)[-1]
    if errors:
        first = errors[-1] if ":" in errors[-1] else errors[0]
        kind, sep, message = first.partition(": ")
        if sep and kind.replace(".", "").replace("_", "").isalnum() and kind[:1].isupper():
            failure["error"] = kind.rsplit(".", 1)[-1]
            failure["message"] = message  # whole, where the summary line cuts it
        elif not failure["message"]:
            failure["message"] = errors[0].strip()


def _deepest(repo: Path, locations: list[str]) -> str | None:
    """The last location that is a file of the repository (not a library)."""
    for location in reversed(locations):
        path = Path(location.rsplit(":", 1)[0])
        full = path if path.is_absolute() else repo / path
        try:
            real = full.resolve()
        except OSError:
            continue
        if real.is_file() and real.is_relative_to(repo) and "site-packages" not in real.parts:
            return f"{real.relative_to(repo).as_posix()}:{location.rsplit(':', 1)[1]}"
    return None


def group_failures(failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for failure in failures:
        key = (failure["error"], failure["location"] or failure["message"][:60])
        group = groups.setdefault(
            key,
            {
                "error": failure["error"],
                "location": failure["location"],
                "message": failure["message"],
                "tests": [],
            },
        )
        group["tests"].append(failure["test"])
    return sorted(groups.values(), key=lambda g: -len(g["tests"]))


def _counts(text: str) -> dict[str, int]:
    for line in reversed(text.splitlines()):
        found = _COUNT.findall(line)
        if found and ("passed" in line or "failed" in line or "error" in line):
            return {
                kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in found
            }
    return {}


def _run_tests(
    ctx: SkillContext, targets: list[str]
) -> tuple[list[dict[str, Any]], dict[str, int], str]:
    for target in targets:
        ctx.resolve(target.split("::")[0])
    with tempfile.TemporaryDirectory(prefix="tokimon-tests-") as folder:
        report = Path(folder) / "junit.xml"
        done = ctx.run(ctx.test_argv(targets, str(report)))
        read = read_junit(WorkTree(ctx.repo), report)
    failures = parse_output(done.stdout)
    if read is not None:
        junit_counts, junit_failures = read
        by_name = {f["test"]: f for f in failures}
        for item in junit_failures:
            found = by_name.get(item.name)
            if found is None:
                found = {
                    "test": item.name,
                    "kind": item.kind,
                    "error": "failure",
                    "message": "",
                    "locations": [],
                }
                failures.append(found)
                by_name[item.name] = found
            _read_section(found, item.details.splitlines())
            found["message"] = found["message"] or item.message
        counts = {
            "passed": junit_counts["tests"]
            - junit_counts["failures"]
            - junit_counts["errors"]
            - junit_counts["skipped"],
            "failed": junit_counts["failures"],
            "error": junit_counts["errors"],
            "skipped": junit_counts["skipped"],
        }
        return failures, counts, done.stdout
    return failures, _counts(done.stdout), done.stdout
