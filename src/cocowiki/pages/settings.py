"""The settings of one build: ``config.toml``'s, with the command line's flags over them.

Both ``cw build`` and the library's :func:`cocowiki.build` start here, so a build has
the same settings whichever way it was asked for.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..config import ConfigError, WikiConfig, load_config
from .builder import BuildConfig
from .writerrun import RunLimits


def load_build_config(output: Path) -> BuildConfig:
    """The build settings of ``<output>/config.toml`` (the defaults when there is none)."""
    return build_config(load_config(output))


def build_config(
    wiki: WikiConfig,
    *,
    model: str | None = None,
    pages: str | None = None,
    jobs: int = 4,
    max_calls: int | None = None,
    max_cost: float | None = None,
) -> BuildConfig:
    """The settings of one build: ``config.toml``'s, with the command line's flags
    (``--model`` over ``[writer] model``); a bad flag raises :class:`ConfigError`."""
    writer = wiki.writer
    if model:
        writer = dataclasses.replace(writer, kind="model", model=model)
    selected = None
    if pages is not None:
        selected = tuple(dict.fromkeys(part.strip() for part in pages.split(",") if part.strip()))
        if not selected:
            raise ConfigError("--pages needs page ids, e.g. --pages overview,src_app")
    try:
        limits = RunLimits(selected, jobs, max_calls, max_cost)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return BuildConfig(
        index=wiki.index, plan=wiki.plan, writer=writer, limits=limits, research=wiki.research
    )
