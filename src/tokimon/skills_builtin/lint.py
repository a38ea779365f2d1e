"""``lint`` and ``format_code``: the linters and formatters the repository configures.

Nothing is guessed from taste: a tool runs only when the repository configures it
(``[tool.ruff]`` or ``ruff.toml``, ``[tool.black]``, ``.flake8`` or ``[flake8]``,
``[tool.mypy]`` or ``mypy.ini``, ESLint and Prettier config files, a ``lint`` script in
``package.json``) and its program can be found (next to the running interpreter first,
then on ``PATH``). ``lint`` (entry :func:`check`) only reports; ``format_code`` (entry
:func:`fix`) applies the fixers and formatters and lists the files they changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..skills.context import SkillContext

OUTPUT_LINES = 60


@dataclass(frozen=True)
class Linter:
    name: str
    check: tuple[str, ...]
    fixes: tuple[tuple[str, ...], ...] = ()


def configured(repo: Path) -> list[Linter]:
    """The tools the repository configures, in a fixed order."""
    pyproject: dict[str, Any] = {}
    if (repo / "pyproject.toml").is_file():
        try:
            pyproject = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError):
            pyproject = {}
    tools = pyproject.get("tool", {})
    setup_cfg = (
        (repo / "setup.cfg").read_text(errors="replace") if (repo / "setup.cfg").is_file() else ""
    )
    found: list[Linter] = []
    if "ruff" in tools or (repo / "ruff.toml").is_file() or (repo / ".ruff.toml").is_file():
        found.append(
            Linter(
                "ruff",
                ("ruff", "check", "--output-format", "concise", "."),
                (("ruff", "check", "--fix", "."), ("ruff", "format", ".")),
            )
        )
        if "format" in tools.get("ruff", {}) or "black" not in tools:
            found.append(Linter("ruff-format", ("ruff", "format", "--check", ".")))
    if "black" in tools:
        found.append(Linter("black", ("black", "--check", "."), (("black", "."),)))
    if (repo / ".flake8").is_file() or "[flake8]" in setup_cfg:
        found.append(Linter("flake8", ("flake8", ".")))
    if "mypy" in tools or (repo / "mypy.ini").is_file() or "[mypy]" in setup_cfg:
        found.append(Linter("mypy", ("mypy", ".")))
    package = repo / "package.json"
    scripts: dict[str, Any] = {}
    if package.is_file():
        try:
            scripts = json.loads(package.read_text(encoding="utf-8")).get("scripts", {}) or {}
        except (json.JSONDecodeError, OSError):
            scripts = {}
    if "lint" in scripts:
        fixes = (("npm", "run", "lint:fix"),) if "lint:fix" in scripts else ()
        found.append(Linter("npm-lint", ("npm", "run", "--silent", "lint"), fixes))
    elif any(repo.glob(".eslintrc*")) or any(repo.glob("eslint.config.*")):
        found.append(
            Linter(
                "eslint",
                ("npx", "--no-install", "eslint", "."),
                (("npx", "--no-install", "eslint", "--fix", "."),),
            )
        )
    if any(repo.glob(".prettierrc*")) or any(repo.glob("prettier.config.*")):
        found.append(
            Linter(
                "prettier",
                ("npx", "--no-install", "prettier", "--check", "."),
                (("npx", "--no-install", "prettier", "--write", "."),),
            )
        )
    return found


def _program(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def _argv(command: tuple[str, ...], paths: list[str]) -> list[str] | None:
    program = _program(command[0])
    if program is None:
        return None
    rest = list(command[1:])
    if paths and rest and rest[-1] == ".":
        rest = [*rest[:-1], *paths]
    return [program, *rest]


def _tail(text: str) -> str:
    lines = text.strip().splitlines()
    shown = lines[-OUTPUT_LINES:]
    cut = f"[{len(lines) - len(shown)} earlier lines]\n" if len(lines) > len(shown) else ""
    return cut + "\n".join(shown)


def _selected(ctx: SkillContext, args: dict[str, Any]) -> tuple[list[Linter], list[str]]:
    paths = [str(p) for p in args.get("paths") or []]
    for path in paths:
        ctx.resolve(path)
    wanted = set(args.get("tools") or [])
    linters = [t for t in configured(ctx.repo) if not wanted or t.name in wanted]
    return linters, paths


def check(args: dict[str, Any], ctx: SkillContext) -> dict[str, Any]:
    linters, paths = _selected(ctx, args)
    if not linters:
        return {
            "text": "the repository configures no linter or formatter this skill knows",
            "data": {"results": []},
        }
    results: list[dict[str, Any]] = []
    for linter in linters:
        argv = _argv(linter.check, paths)
        if argv is None:
            results.append(
                {
                    "tool": linter.name,
                    "status": "missing",
                    "output": f"{linter.check[0]} is not installed",
                }
            )
            continue
        done = ctx.run(argv)
        status = "clean" if done.returncode == 0 else "problems"
        results.append(
            {
                "tool": linter.name,
                "status": status,
                "exit_code": done.returncode,
                "command": " ".join(linter.check),
                "output": _tail(done.stdout),
            }
        )
    lines = []
    for result in results:
        lines.append(f"== {result['tool']}: {result['status']}")
        if result["status"] != "clean" and result["output"]:
            lines.append(result["output"])
    clean = all(r["status"] in ("clean", "missing") for r in results)
    return {"text": "\n".join(lines), "data": {"results": results, "clean": clean}}


def fix(args: dict[str, Any], ctx: SkillContext) -> dict[str, Any]:
    linters, paths = _selected(ctx, args)
    fixers = [(linter.name, command) for linter in linters for command in linter.fixes]
    if not fixers:
        return {
            "text": "the repository configures no fixer or formatter this skill knows",
            "data": {"changed": []},
        }
    before = _digests(ctx.repo)
    lines = []
    for name, command in fixers:
        argv = _argv(command, paths)
        if argv is None:
            lines.append(f"== {name}: {command[0]} is not installed")
            continue
        done = ctx.run(argv)
        lines.append(f"== {' '.join(command)}: exit {done.returncode}")
        if done.stdout.strip():
            lines.append(_tail(done.stdout))
    after = _digests(ctx.repo)
    changed = sorted(path for path in after if before.get(path) != after[path])
    lines.append(f"changed {len(changed)} file(s): " + (", ".join(changed) or "none"))
    return {"text": "\n".join(lines), "data": {"changed": changed}}


def _digests(repo: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    skip = {
        ".git",
        ".tokimon",
        "node_modules",
        ".venv",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
    }
    for folder, dirs, files in os.walk(repo):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            path = Path(folder) / name
            try:
                found[path.relative_to(repo).as_posix()] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
            except OSError:
                continue
    return found
