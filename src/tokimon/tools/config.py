"""The tools' settings: output bounds, timeouts, the test command, the web allowlist.

One immutable value, shaped like the ``[tools]`` table of a config file, so a file maps
onto it with :meth:`ToolConfig.from_mapping` and an unknown or mistyped key is an error
that names it instead of a setting silently ignored.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ToolConfigError
from .worktree import DEFAULT_PROTECTED

#: ``{python}`` becomes the running interpreter, ``{junitxml}`` a temporary report path.
DEFAULT_TEST_COMMAND: tuple[str, ...] = (
    "{python}",
    "-m",
    "pytest",
    "-q",
    "-rf",
    "--junitxml={junitxml}",
)


class WebConfig(BaseModel):
    """``web_fetch``: off unless ``enabled``, and then only for ``allowed_hosts``.

    A host entry is a name (``docs.python.org``), a name with a port
    (``127.0.0.1:8080``), or ``*.example.org`` for every subdomain of ``example.org``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    allowed_hosts: tuple[str, ...] = ()
    max_download_bytes: int = Field(default=2_000_000, ge=1024)
    user_agent: str = "tokimon-web-fetch/0.1"


class WikiToolConfig(BaseModel):
    """``wiki_ask``, ``wiki_lookup``, ``wiki_page``: the repository's cocowiki, asked
    in-process. ``output`` is its folder relative to the work tree (default
    ``.cocowiki``, where ``cw build`` puts it); the index is made there when missing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    output: str = ".cocowiki"


class ToolConfig(BaseModel):
    """Settings shared by every tool of a toolset.

    * ``max_output_bytes``: the most text one tool result may put in the conversation.
    * ``timeouts``: seconds per call by tool name, over each tool's own default.
    * ``test_command``: what ``run_tests`` runs (a list, or a string split like a shell
      would); ``{python}`` and ``{junitxml}`` are filled in, test targets are appended.
    * ``max_file_bytes``: larger files are not read, searched or patched.
    * ``grep_max_matches``, ``grep_max_line_chars``: bounds of a search result.
    * ``protected``: directory names the tools may read but never write.
    * ``wiki``: the repository wiki tools (:class:`WikiToolConfig`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_output_bytes: int = Field(default=16_000, ge=512)
    timeouts: dict[str, float] = Field(default_factory=dict)
    test_command: tuple[str, ...] = DEFAULT_TEST_COMMAND
    max_file_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    grep_max_matches: int = Field(default=200, ge=1)
    grep_max_line_chars: int = Field(default=300, ge=40)
    protected: tuple[str, ...] = DEFAULT_PROTECTED
    web: WebConfig = WebConfig()
    wiki: WikiToolConfig = WikiToolConfig()

    @field_validator("test_command", mode="before")
    @classmethod
    def _split_command(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = shlex.split(value)
        if isinstance(value, list | tuple) and not value:
            raise ValueError("the test command is empty")
        return value

    @field_validator("timeouts")
    @classmethod
    def _positive_timeouts(cls, value: dict[str, float]) -> dict[str, float]:
        for name, seconds in value.items():
            if not seconds > 0:
                raise ValueError(f"the timeout of {name!r} must be above 0 seconds")
        return value

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ToolConfig:
        """The config from a ``[tools]`` table; every problem is listed in one error."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            problems = []
            for error in exc.errors():
                location = ".".join(["tools", *(str(part) for part in error["loc"])])
                problems.append(f"- {location}: {error['msg']}")
            raise ToolConfigError(
                "the [tools] settings are invalid:\n" + "\n".join(problems)
            ) from None
