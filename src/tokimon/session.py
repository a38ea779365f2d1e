"""One session of the agent on one repository: the manager ``run`` and ``resume`` drive.

Both the library (:func:`tokimon.run`, :func:`tokimon.resume`) and the ``tokimon``
command line make their manager here, so a run started either way has the same tools,
skills, spending limit and trace.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

import tiffany
from tiffany.models import Client, ConfigError, SpendingLimit, client

from .errors import TokimonError
from .manager import Manager, ManagerSettings, RunOutcome, TraceListener
from .skills import SkillRegistry
from .tools import Toolset
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
    from .commands import tool_config  # the commands module imports this one

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


def execute(manager: Manager, start: Callable[[Manager], Awaitable[RunOutcome]]) -> RunOutcome:
    """Run ``start(manager)`` on a new tiffany kernel until it returns."""

    async def main() -> RunOutcome:
        return await start(manager)

    return tiffany.run(main)
