"""What a skill's entry function is handed, and what it may hand back.

An entry is ``def run(args: dict, ctx: SkillContext) -> str | dict``. The context says
where the repository is (also the working directory), where the skill may keep a cache,
what the repository's test command is, and how long the call has; :meth:`resolve` is the
workspace boundary for any path the skill computes itself (paths the model passes were
checked before the skill started). :meth:`run` runs a command inside the time left.

The return value is the text for the model, or a mapping with ``text``, optional
``data`` (JSON, for the agent's own logic) and ``is_error``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..tools.config import DEFAULT_TEST_COMMAND
from ..tools.worktree import WorkTree


@dataclass(frozen=True)
class SkillContext:
    """See the module docstring; ``deadline`` is on :func:`time.monotonic`."""

    repo: Path
    cache: Path
    timeout: float = 60.0
    test_command: tuple[str, ...] = DEFAULT_TEST_COMMAND
    deadline: float = field(default=0.0)

    @classmethod
    def create(
        cls,
        repo: Path | str,
        cache: Path | str | None = None,
        *,
        timeout: float = 60.0,
        test_command: Sequence[str] = DEFAULT_TEST_COMMAND,
    ) -> SkillContext:
        root = Path(repo).resolve()
        where = Path(cache) if cache is not None else root / ".tokimon" / "skills_cache"
        return cls(root, where, timeout, tuple(test_command), time.monotonic() + timeout)

    def to_json(self) -> dict[str, Any]:
        return {
            "repo": str(self.repo),
            "cache": str(self.cache),
            "timeout": self.timeout,
            "test_command": list(self.test_command),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SkillContext:
        return cls.create(
            data["repo"],
            data["cache"],
            timeout=float(data["timeout"]),
            test_command=data["test_command"],
        )

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.5)

    def resolve(self, path: str) -> Path:
        """``path`` inside the repository, or :class:`~tokimon.tools.PathRefused`."""
        return WorkTree(self.repo).resolve(path)

    def relative(self, path: Path | str) -> str:
        return WorkTree(self.repo).relative(Path(path).resolve())

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` (stdout and stderr together) within the time left; a command that
        overruns raises ``subprocess.TimeoutExpired``."""
        limit = min(timeout, self.remaining()) if timeout is not None else self.remaining()
        return subprocess.run(
            list(argv),
            cwd=cwd or self.repo,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=limit,
            env=None if env is None else dict(env),
            check=False,
        )

    def git(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return self.run(["git", *args], cwd=cwd)

    def test_argv(self, targets: Sequence[str] = (), junitxml: str | None = None) -> list[str]:
        """The repository's test command with ``{python}`` and ``{junitxml}`` filled in
        (an argument naming ``{junitxml}`` is dropped when no report is wanted)."""
        argv: list[str] = []
        for part in self.test_command:
            if "{junitxml}" in part:
                if junitxml is not None:
                    argv.append(part.replace("{junitxml}", junitxml))
                continue
            argv.append(part.replace("{python}", sys.executable))
        return [*argv, *targets]


def normalise_result(value: Any) -> dict[str, Any]:
    """An entry's return value as ``{"text", "data", "is_error"}``; a ``TypeError`` for
    anything else (the skill broke its contract)."""
    if isinstance(value, str):
        return {"text": value, "data": {}, "is_error": False}
    if isinstance(value, Mapping) and isinstance(value.get("text"), str):
        data = value.get("data") or {}
        if not isinstance(data, Mapping):
            raise TypeError("the skill's data must be a JSON object")
        return {"text": value["text"], "data": dict(data), "is_error": bool(value.get("is_error"))}
    raise TypeError(
        f"a skill returns a str or a mapping with a 'text' str, not {type(value).__name__}"
    )
