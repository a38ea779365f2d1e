"""Runs from the chat UI: start, stop, resume, list and open, the CLI's way.

Starting and resuming build a :class:`~tokimon.manager.Manager` exactly as ``tokimon run``
and ``tokimon resume`` do (the same model spec, tool configuration, skills, workspace)
and call its ``run``/``resume`` in a task of the server's kernel; the run's trace records
are forwarded to the page as they are written (a trace listener, as the terminal's
:class:`~tokimon.console.LiveSteps` is). Stopping cancels that task, which is what Ctrl-C
does to ``tokimon run``: the state on disk is whole and the run is resumable. Listing and
opening call :func:`~tokimon.commands.runs_command` and
:func:`~tokimon.commands.inspect_command` with ``--json``.

The diff of a finished run shows the files its report lists as changed: ``git diff``
against ``HEAD`` in a git repository, else the patches and writes recorded in the trace.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tiffany

from ..commands import CommandOptions, inspect_command, runs_command
from ..errors import TokimonError
from ..manager import Manager, RunOutcome, check_goal, resumable
from ..session import make_manager
from ..trace import read_trace
from ..workspace import Workspace

Publish = Callable[..., Any]


class RunRefused(TokimonError):
    """A run cannot be started, stopped or resumed now (the message says why)."""


@dataclass(frozen=True)
class RunSettings:
    """What ``tokimon chat-ui`` was given, used for every run it starts."""

    repo: Path
    workspace: Path | None
    model: str | None
    env: Mapping[str, str]
    config: Path | None = None


class RunControl:
    """The runs this server is executing, and the CLI's view of all of them."""

    def __init__(self, settings: RunSettings, publish: Publish) -> None:
        self.settings = settings
        self.publish = publish
        self.space = Workspace.locate(settings.repo, settings.workspace, settings.env)
        self.active: dict[str, tiffany.Task] = {}

    # -- start, resume, stop -----------------------------------------------------------
    async def start(self, goal: str, chat: str | None) -> str:
        """Start a run of ``goal``; returns its id once its folder exists."""
        check_goal(goal)
        if not self.settings.model:
            raise RunRefused("no model given: restart with --model provider:model")
        return await self._launch(self.settings.model, None, goal, chat)

    async def resume(self, run_id: str, chat: str | None) -> str:
        """Continue an interrupted run with its own model (``tokimon resume``)."""
        paths = self.space.find(run_id)
        if paths.id in self.active or paths.is_live():
            raise RunRefused(f"run {paths.id} is running; stop it first")
        info = resumable(paths)
        return await self._launch(self.settings.model or info.model, info, paths.id, chat)

    async def stop(self, run_id: str) -> bool:
        """Cancel the run's task (it stays resumable); False when it was not running here."""
        paths = self.space.find(run_id)
        task = self.active.get(paths.id)
        if task is None:
            return False
        await task.cancel()
        return True

    async def _launch(self, spec: str, info: Any, target: str, chat: str | None) -> str:
        repo = self.settings.repo
        if info is not None and Path(info.repo).is_dir():
            repo = Path(info.repo)
        tests = info.test_command if info is not None else None
        feed = _Feed(self.publish, chat, known_id=None if info is None else target)
        manager = self._manager(repo, spec, tests, feed)
        action = "resume" if info is not None else "start"

        async def session() -> RunOutcome:
            try:
                if info is None:
                    return await manager.run(target)
                return await manager.resume(target)
            finally:
                feed.ready.set()
                if feed.run_id is not None:
                    self.active.pop(feed.run_id, None)
                    self.publish("run.ended", run=feed.run_id, chat=chat)

        task = await tiffany.spawn(session, name=f"chat-ui-run-{action}")
        await feed.ready.wait()
        if feed.run_id is None:  # it failed before it had a folder
            try:
                await task.join()
            except tiffany.TaskError as exc:
                raise RunRefused(str(exc.__cause__ or exc)) from None
            raise RunRefused("the run ended before it started")
        if not task.done:
            self.active[feed.run_id] = task
        return feed.run_id

    def _manager(self, repo: Path, spec: str, tests: list[str] | None, feed: _Feed) -> Manager:
        """The manager ``tokimon run`` would build (one builder for both)."""
        s = self.settings
        return make_manager(
            repo, s.workspace, spec, tests, env=s.env, config=s.config, listeners=[feed]
        )

    # -- list and open (the CLI's functions, as JSON) -------------------------------------
    def _options(self) -> CommandOptions:
        s = self.settings
        return CommandOptions(s.repo, s.workspace, True, s.env, io.StringIO(), io.StringIO())

    def _cli(self, function: Callable[..., int], *args: Any, **kwargs: Any) -> dict[str, Any]:
        options = self._options()
        function(*args, options=options, **kwargs)
        assert isinstance(options.stdout, io.StringIO)
        data: dict[str, Any] = json.loads(options.stdout.getvalue() or "{}")
        if list(data) == ["error"]:  # what report_error writes with --json
            raise RunRefused(str(data["error"]))
        return data

    def listing(self) -> dict[str, Any]:
        data = self._cli(runs_command)
        for row in data["runs"]:
            row["here"] = row["id"] in self.active
        return data

    def detail(self, run_id: str) -> dict[str, Any]:
        """``inspect --json``, its trace, each step's attempts, lessons and the report."""
        paths = self.space.find(run_id)
        # The trace first: every state change is saved before it is traced, so the steps
        # read after it are at least as new, and the page adds the records that follow.
        trace = self._cli(inspect_command, paths.id, trace=True)["events"]
        shown = self._cli(inspect_command, paths.id)
        shown["id"] = paths.id
        shown["here"] = paths.id in self.active
        shown["trace"] = trace
        shown["attempts"] = {
            step["id"]: self._cli(inspect_command, paths.id, step=step["id"]).get("attempts", [])
            for step in shown.get("steps", [])
        }
        shown["lessons"] = [
            {"name": p.name, "text": p.read_text(encoding="utf-8", errors="replace")}
            for p in sorted(paths.lessons.glob("*.md"))
        ]
        report = paths.reports / "report.json"
        shown["report"] = json.loads(report.read_text()) if report.is_file() else None
        markdown = paths.reports / "report.md"
        shown["report_md"] = markdown.read_text() if markdown.is_file() else None
        return shown

    def diff(self, run_id: str) -> dict[str, Any]:
        paths = self.space.find(run_id)
        report = paths.reports / "report.json"
        data = json.loads(report.read_text()) if report.is_file() else {}
        changed = [str(p) for p in data.get("changed_files") or []]
        repo = Path(data.get("repo") or self.settings.repo)
        files = _git_diff(repo, changed)
        if files is None:
            files = _trace_diff(read_trace(paths.trace), changed)
        return {"run_id": paths.id, "files": files}


class _Feed:
    """A trace listener: learns the run's id, forwards every record to the page."""

    def __init__(self, publish: Publish, chat: str | None, known_id: str | None) -> None:
        self.publish = publish
        self.chat = chat
        self.run_id = known_id
        self.ready = tiffany.Event()

    def __call__(self, record: dict[str, Any]) -> None:
        if self.run_id is None and record.get("run_id"):
            self.run_id = str(record["run_id"])
        if self.run_id is not None:
            self.publish("run.trace", run=self.run_id, chat=self.chat, record=record)
            self.ready.set()


def _git_diff(repo: Path, changed: list[str]) -> list[dict[str, str]] | None:
    """Each changed file's diff against HEAD; None when ``repo`` is no git work tree."""
    if not changed:
        return []
    if not (repo / ".git").exists():
        return None
    files = []
    for path in changed:
        done = subprocess.run(
            ["git", "-C", str(repo), "diff", "--no-color", "--no-ext-diff", "HEAD", "--", path],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if done.returncode != 0:
            return None
        text = done.stdout
        if not text and (repo / path).is_file():  # a new, untracked file
            added = (repo / path).read_text(encoding="utf-8", errors="replace").splitlines()
            text = f"--- /dev/null\n+++ b/{path}\n" + "".join(f"+{line}\n" for line in added)
        files.append({"path": path, "diff": text})
    return files


def _trace_diff(records: list[dict[str, Any]], changed: list[str]) -> list[dict[str, str]]:
    """The patches and writes the run's tool calls made, by file, from the trace."""
    by_path: dict[str, list[str]] = {path: [] for path in changed}
    for record in records:
        if record.get("kind") != "tool.call.start":
            continue
        try:
            arguments = json.loads(record.get("arguments") or "{}")
        except (TypeError, json.JSONDecodeError):
            continue
        if not isinstance(arguments, dict):
            continue
        if record.get("name") == "apply_patch":
            patch = str(arguments.get("patch", ""))
            for path in by_path:
                if f"/{path}" in patch or f" {path}" in patch:
                    by_path[path].append(patch)
        elif record.get("name") == "write_file" and arguments.get("path") in by_path:
            lines = str(arguments.get("content", "")).splitlines()
            text = f"+++ b/{arguments['path']}\n" + "".join(f"+{line}\n" for line in lines)
            by_path[str(arguments["path"])].append(text)
    return [{"path": path, "diff": "\n".join(parts)} for path, parts in by_path.items()]
