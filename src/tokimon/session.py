"""One session of the agent on one repository: the manager ``run`` and ``resume`` drive.

Both the library (:func:`tokimon.run`, :func:`tokimon.resume`) and the ``tokimon``
command line make their manager here, so a run started either way has the same tools,
skills, spending limit and trace.
"""

from __future__ import annotations

import tomllib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import tiffany
from tiffany.models import Client, ConfigError, SpendingLimit, client

from .errors import TokimonError, UsageError
from .manager import Manager, ManagerSettings, RunOutcome, TraceListener
from .skills import SkillRegistry
from .tools import ToolConfig, Toolset
from .workspace import Workspace

CONFIG_NAME = "config.toml"
"""The settings file a workspace may hold; ``config`` names another."""


class ModelConfigError(TokimonError):
    """The model spec or its settings cannot be used (unknown provider, missing key)."""


def make_manager(
    repo: Path,
    workspace: Path | None,
    spec: str,
    tests: str | list[str] | None,
    *,
    env: Mapping[str, str],
    config: Path | None = None,
    spending: SpendingLimit | None = None,
    settings: ManagerSettings | None = None,
    listeners: Sequence[TraceListener] = (),
) -> Manager:
    """The manager of a session on ``repo``: the workspace's ``config.toml`` (or
    ``config``) sets up the tools; a bad model spec is a :class:`ModelConfigError`."""
    space = Workspace.locate(repo, workspace, env)
    default_config = space.root / CONFIG_NAME
    chosen = config or (default_config if default_config.is_file() else None)
    tools = tool_config(chosen, tests)
    try:
        model: Client = client(spec, env=env, spending_limit=spending)
    except ConfigError as exc:
        raise ModelConfigError(str(exc)) from exc
    return Manager(
        space,
        model,
        Toolset(repo, tools),
        model_name=spec,
        settings=settings,
        redactor=model.redactor,
        listeners=list(listeners),
        skills=SkillRegistry.for_workspace(space.root),
    )


def tool_config(path: Path | None, test_command: str | list[str] | None) -> ToolConfig:
    """The tools' settings: the ``[tools]`` table of ``path`` (when given), with
    ``test_command`` over its own. This is how ``web_fetch`` is turned on for a run."""
    table: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot read the config file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"the config file {path} is not valid TOML: {exc}") from None
        unknown = sorted(set(data) - {"tools"})
        if unknown:
            raise UsageError(
                f"the config file {path} has unknown table(s) {', '.join(unknown)}; "
                "it takes [tools] (see docs/tokimon/tools.md)"
            )
        table = dict(data.get("tools", {}))
    if test_command:
        table["test_command"] = test_command
    try:
        return ToolConfig.from_mapping(table)
    except TokimonError as exc:
        raise UsageError(f"{path}: {exc}" if path else str(exc)) from None


def execute(manager: Manager, start: Callable[[Manager], Awaitable[RunOutcome]]) -> RunOutcome:
    """Run ``start(manager)`` on a new tiffany kernel until it returns."""

    async def main() -> RunOutcome:
        return await start(manager)

    return tiffany.run(main)
