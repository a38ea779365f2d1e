"""``config.toml``: the one file a user edits to shape their wiki, and ``cw init`` that writes it.

The file lives in the output directory (``.cocowiki/config.toml`` by default) so that a
wiki and the settings it was built with travel together. Every section maps onto a frozen
dataclass of the stage it configures (``[index]`` onto :class:`IndexConfig`, ``[plan]``
onto the planner's config, ``[writer]`` onto :class:`WriterConfig`); keys are checked
against the dataclass fields, so a typo is an error that names the valid keys rather than
a setting silently ignored.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tiffany.atomic import write_atomic

from .errors import CocowikiError
from .index.config import IndexConfig
from .index.languages import BY_NAME
from .plan.config import PlanConfig

CONFIG_NAME = "config.toml"

T = TypeVar("T")


class ConfigError(CocowikiError):
    """``config.toml`` cannot be used; the message names the file, the key and the fix."""


@dataclass(frozen=True, slots=True)
class WriterConfig:
    """Who writes the pages: ``deterministic`` (templates over the index, no model) or
    ``model`` (a language model through ``tiffany.models``, given as ``provider:model``).
    With ``kind`` unset, setting ``model`` chooses the model writer.

    ``pack_tokens`` bounds a page's source pack (the default leaves room for the answer
    in a 128k-token context); ``repair_rounds`` is how many times a page that fails its
    checks goes back to the model; ``output_tokens`` caps each answer.
    """

    kind: str = ""
    model: str = ""
    pack_tokens: int = 96_000
    repair_rounds: int = 2
    output_tokens: int = 8_000

    def __post_init__(self) -> None:
        if self.kind not in ("", "deterministic", "model"):
            raise ValueError(f"kind must be 'deterministic' or 'model', not {self.kind!r}")
        if self.kind == "model" and not self.model:
            raise ValueError("kind = 'model' needs model = 'provider:model'")
        for name in ("pack_tokens", "output_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.repair_rounds < 0:
            raise ValueError("repair_rounds must be 0 or more")

    @property
    def uses_model(self) -> bool:
        return self.kind == "model" or (self.kind == "" and bool(self.model))


#: The questions the scout answers for every module (``id: text``; ``{module}`` is the
#: module's title).
STANDARD_QUESTIONS = (
    "purpose: What is {module} for, and what problem does it solve for the rest of the code?",
    "flows: What are the main flows through {module}: what calls what, in which order, "
    "starting where?",
    "invariants: What invariants does {module} keep (assumptions, states, orderings), and "
    "where are they enforced?",
    "errors: How does {module} handle errors: what can fail, what is raised or returned, "
    "and who handles it?",
    "extension: Where can {module} be extended or configured (hooks, protocols, registries, "
    "settings)?",
)


@dataclass(frozen=True, slots=True)
class ResearchConfig:
    """The scout (``docs/cocowiki/research.md``): with ``model`` set (``provider:model``),
    ``cw build`` has it answer each module's ``questions`` (and, with ``gaps``, one
    question per known gap of the completeness gate) before the writer runs, within
    the budgets per question."""

    model: str = ""
    questions: tuple[str, ...] = STANDARD_QUESTIONS
    gaps: bool = True
    max_calls: int = 16
    max_tool_calls: int = 40
    max_tokens: int = 400_000
    max_seconds: float = 600.0
    output_tokens: int = 4_000

    def __post_init__(self) -> None:
        for question in self.questions:
            ident, _, text = question.partition(":")
            if not ident.strip() or not text.strip() or " " in ident.strip():
                raise ValueError(f"a question is 'id: text', not {question!r}")

    def question_list(self, title: str) -> list[tuple[str, str]]:
        """``(id, text)`` of each standard question, for the module titled ``title``."""
        pairs = (q.partition(":") for q in self.questions)
        return [(i.strip(), t.strip().replace("{module}", title)) for i, _, t in pairs]


@dataclass(frozen=True, slots=True)
class WikiConfig:
    """All settings of a wiki, one frozen dataclass per section."""

    index: IndexConfig = field(default_factory=IndexConfig)
    plan: PlanConfig = field(default_factory=PlanConfig)
    writer: WriterConfig = field(default_factory=WriterConfig)
    research: ResearchConfig = field(default_factory=ResearchConfig)


TEMPLATE = """\
# cocowiki configuration: `cw index`, `cw plan` and `cw build` read this file.
# Every key is optional; the commented values are the defaults.

[index]
# Glob patterns on repository-relative paths (`**` crosses directories). When `include`
# is not empty, only matching files are indexed; `exclude` always wins.
# include = ["src/**"]
# exclude = ["**/tests/fixtures/**", "docs/**"]

# Languages to index; empty means every supported one:
# {languages}
# languages = []

# Files larger than this many bytes are left out (counted as `too_large`).
# max_file_bytes = {max_file_bytes}

# Directory names whose contents are vendored code, left out (counted as `vendored`).
# vendored_dirs = {vendored_dirs}

# Parser processes; 0 picks by the amount of work.
# workers = 0

# List files with git (respecting .gitignore) when the repository is a checkout.
# use_git = true

[plan]
# How the module tree is cut into pages, in source tokens (about 4 bytes each; see
# docs/cocowiki/plan.md). A directory with fewer than `min_tokens` joins its parent's
# page; a page with more than `max_tokens` is split by communities of the reference graph.
# min_tokens = {min_tokens}
# max_tokens = {max_tokens}

# A model (a tiffany.models spec, keys from the environment) that groups the code's files
# into modules by what they do; `cw plan` and `cw build` use it, `cw plan --model` sets it
# for one run. Code holding no more than `cluster_above_tokens` keeps its directories;
# a grouped module above `cluster_leaf_tokens` is divided again, `cluster_depth` levels
# at most; an unusable answer is sent back with its problems, `cluster_rounds` asks in
# all, then the directory tree is kept.
# model = "openai:gpt-4o-mini"
# cluster_above_tokens = {cluster_above_tokens}
# cluster_leaf_tokens = {cluster_leaf_tokens}
# cluster_depth = {cluster_depth}
# cluster_rounds = {cluster_rounds}

[writer]
# "deterministic" writes every page from the index with no language model.
# "model" asks a model (through tiffany.models) for a module guide, checked and cited
# (docs/cocowiki/writer.md). Setting `model` alone chooses it; keys come only from the
# environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...), never from this file.
# kind = "deterministic"
# model = "openai:gpt-4o-mini"
# pack_tokens = 96000      # source shown per page; the default fits a 128k context
# repair_rounds = 2        # times a page failing its checks goes back to the model
# output_tokens = 8000     # cap on each answer

[research]
# A scout model (docs/cocowiki/research.md) that explores the repository with read-only
# tools to answer each module's questions before the writer runs; its answers are frozen
# with the footprints of every lookup and asked again only when one no longer holds.
# Small local models served by vLLM or SGLang work ("openai-compatible:NAME" with
# base_url in the tiffany.models config). Unset: no scout, no model call.
# model = "openai-compatible:Qwen3-4B-Instruct"
# questions = ["purpose: What is {{module}} for?", "flows: ..."]
# gaps = true              # also ask one question per known gap of the completeness gate
# max_calls = 16           # budgets per question: model calls, tool calls, tokens, seconds
# max_tool_calls = 40
# max_tokens = 400000
# max_seconds = 600
"""


def config_path(output: Path) -> Path:
    return output / CONFIG_NAME


def render_template() -> str:
    """The commented ``config.toml`` that ``cw init`` writes."""
    defaults = IndexConfig()
    plan = PlanConfig()
    return TEMPLATE.format(
        min_tokens=plan.min_tokens,
        max_tokens=plan.max_tokens,
        cluster_above_tokens=plan.cluster_above_tokens,
        cluster_leaf_tokens=plan.cluster_leaf_tokens,
        cluster_depth=plan.cluster_depth,
        cluster_rounds=plan.cluster_rounds,
        languages=", ".join(sorted(BY_NAME)),
        max_file_bytes=defaults.max_file_bytes,
        vendored_dirs=_toml_list(defaults.vendored_dirs),
    )


def _toml_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{value}"' for value in values) + "]"


def init_config(output: Path, *, force: bool = False) -> Path:
    """Write the commented template; an existing file is kept unless ``force``."""
    path = config_path(output)
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists: edit it, or pass --force to overwrite it")
    write_atomic(path, render_template())
    return path


def load_config(output: Path) -> WikiConfig:
    """Read ``<output>/config.toml``; the defaults when there is none."""
    path = config_path(output)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return WikiConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix it or delete it") from exc
    unknown = sorted(set(data) - {"index", "plan", "writer", "research"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown section [{unknown[0]}]; sections are [index], [plan], [writer], "
            "[research]"
        )
    index = dataclass_from_table(IndexConfig, data.get("index", {}), f"{path} [index]")
    unknown_languages = sorted(set(index.languages) - set(BY_NAME))
    if unknown_languages:
        raise ConfigError(
            f"{path} [index]: unknown language {unknown_languages[0]!r}; "
            f"supported: {', '.join(sorted(BY_NAME))}"
        )
    return WikiConfig(
        index=index,
        plan=dataclass_from_table(PlanConfig, data.get("plan", {}), f"{path} [plan]"),
        writer=dataclass_from_table(WriterConfig, data.get("writer", {}), f"{path} [writer]"),
        research=dataclass_from_table(
            ResearchConfig, data.get("research", {}), f"{path} [research]"
        ),
    )


def dataclass_from_table(cls: type[T], table: object, where: str) -> T:
    """Build ``cls`` from a TOML table, checking each key and value type against its fields."""
    assert dataclasses.is_dataclass(cls)
    fields = {item.name: item for item in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in _table(table, where).items():
        if key not in fields:
            raise ConfigError(f"{where}: unknown key {key!r}; keys are {', '.join(sorted(fields))}")
        values[key] = _coerce(value, hints[key], f"{where} {key}")
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _table(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table")
    return value


def _coerce(value: object, hint: Any, where: str) -> Any:
    """Check a TOML value against a field's type; TOML arrays become the tuples fields use."""
    origin = typing.get_origin(hint)
    if origin is tuple:
        (item_type, _) = typing.get_args(hint)
        if not isinstance(value, list) or not all(isinstance(v, item_type) for v in value):
            raise ConfigError(f"{where}: expected a list of {item_type.__name__}")
        return tuple(value)
    if origin in (types.UnionType, typing.Union):
        for option in typing.get_args(hint):
            if option is type(None) and value is None:
                return None
            if option is not type(None) and _matches(value, option):
                return value
        raise ConfigError(f"{where}: expected {hint}")
    if not _matches(value, hint):
        raise ConfigError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")
    return value


def _matches(value: object, hint: Any) -> bool:
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)
