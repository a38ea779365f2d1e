"""The daemon's TOML configuration: which agents it hosts and the limits it runs under.

An agent is a Python entry point, ``module:function``, naming an ``async def``; the
config gives it a name and optional defaults (priority, restart policy, CPU budget,
default arguments). The file is validated as a whole before anything uses it, so a typo
is reported with its place (``agents.echo.prioirty``) at startup or at a SIGHUP reload,
and a reload that fails leaves the running config untouched.

Example::

    [daemon]
    grace = 10.0                      # seconds tasks get to finish on SIGTERM
    python_path = ["agents"]          # relative to this file, put on sys.path

    [agents.echo]
    entry = "my_agents:echo"
    priority = "HIGH"
    args = { greeting = "hello" }
    restart = { max_restarts = 3, within = 60.0 }
    budget = { seconds = 0.5, per = 1.0, action = "throttle" }
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import re
import sys
import tomllib
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..budget import CpuBudget, OverBudget
from ..priority import Priority
from ..supervise import Restart

AgentFunction = Callable[..., Coroutine[Any, Any, Any]]

_ENTRY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ConfigError(ValueError):
    """The configuration cannot be used; the message says where and why."""


@dataclass(frozen=True)
class DaemonSettings:
    """The ``[daemon]`` table. Limits bound what one client or agent can cost."""

    grace: float = 10.0
    max_body_bytes: int = 1 << 20
    max_connections: int = 256
    max_running: int = 1000
    keep_finished: int = 1000
    idle_timeout: float = 60.0
    request_timeout: float = 30.0
    slow_step: float = 0.5
    max_result_bytes: int = 256 * 1024
    python_path: tuple[str, ...] = ()


#: Settings read once at startup; a reload that changes them says a restart is needed.
RESTART_ONLY = ("max_body_bytes", "max_connections", "idle_timeout", "request_timeout")


@dataclass(frozen=True)
class BudgetSpec:
    """A CPU budget to give each task of an agent (each task gets its own)."""

    seconds: float
    per: float = 1.0
    action: str = "demote"

    def build(self) -> CpuBudget:
        return CpuBudget(self.seconds, per=self.per, action=self.action)


@dataclass(frozen=True)
class AgentSpec:
    """One hosted agent: its entry point, resolved, and its defaults."""

    name: str
    entry: str
    function: AgentFunction = field(compare=False, repr=False)
    description: str = ""
    priority: Priority = Priority.NORMAL
    args: Mapping[str, Any] = field(default_factory=dict)
    restart: Restart | None = None
    budget: BudgetSpec | None = None

    def describe(self) -> dict[str, Any]:
        """What ``GET /agents`` shows."""
        return {
            "name": self.name,
            "entry": self.entry,
            "description": self.description,
            "priority": self.priority.name,
            "args": dict(self.args),
            "restart": None if self.restart is None else vars(self.restart).copy(),
            "budget": None if self.budget is None else vars(self.budget).copy(),
            "signature": _signature(self.function),
        }

    def check_args(self, args: Mapping[str, Any]) -> None:
        """Raise ``TypeError`` when ``function(**args)`` could not be called."""
        inspect.signature(self.function).bind(**args)


@dataclass(frozen=True)
class DaemonConfig:
    """A validated configuration and where it came from."""

    agents: Mapping[str, AgentSpec] = field(default_factory=dict)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    digest: str = "sha256:" + hashlib.sha256(b"").hexdigest()
    path: Path | None = None


def _signature(fn: Callable[..., Any]) -> str:
    try:
        return f"{getattr(fn, '__name__', 'agent')}{inspect.signature(fn)}"
    except (TypeError, ValueError):
        return getattr(fn, "__name__", "agent")


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def load_config(path: str | Path | None) -> DaemonConfig:
    """Read and validate the config at ``path``; None means no agents and default limits."""
    if path is None:
        return DaemonConfig()
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read the config {path}: {error.strerror or error}") from None
    return parse_config(data, path)


def parse_config(data: bytes, path: Path | None = None) -> DaemonConfig:
    """Validate the TOML ``data`` (read from ``path``, which anchors ``python_path``)."""
    where = str(path) if path is not None else "<config>"
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{where}: not UTF-8 text ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not valid TOML: {error}") from None
    _only_keys(document, {"daemon", "agents"}, where)
    daemon = _daemon_settings(_table(document, "daemon", where), where)
    base = path.parent if path is not None else Path.cwd()
    _extend_sys_path(daemon.python_path, base)
    agents_table = _table(document, "agents", where)
    agents: dict[str, AgentSpec] = {}
    for name, raw in agents_table.items():
        if not _NAME.match(name):
            raise ConfigError(
                f"{where}: agents.{name}: an agent name is 1-64 letters, digits, '_', '.', '-'"
            )
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: agents.{name} must be a table, got {_kind(raw)}")
        agents[name] = _agent(name, raw, where)
    return DaemonConfig(agents=agents, daemon=daemon, digest=digest_of(data), path=path)


def _kind(value: Any) -> str:
    return type(value).__name__


def _table(document: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table, got {_kind(value)}")
    return value


def _only_keys(table: Mapping[str, Any], allowed: set[str], place: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{place}: unknown key {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}"
        )


def _daemon_settings(raw: dict[str, Any], where: str) -> DaemonSettings:
    known = {f.name: f for f in fields(DaemonSettings)}
    _only_keys(raw, set(known), f"{where}: [daemon]")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        place = f"{where}: daemon.{key}"
        if key == "python_path":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{place} must be a list of directory names")
            values[key] = tuple(value)
            continue
        default = getattr(DaemonSettings, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{place} must be a number, got {_kind(value)}")
        if isinstance(default, int) and not isinstance(value, int):
            raise ConfigError(f"{place} must be a whole number, got {value!r}")
        if value < 0 or (key != "grace" and value == 0):
            raise ConfigError(f"{place} must be above 0, got {value!r}")
        values[key] = value
    return DaemonSettings(**values)


def _extend_sys_path(entries: tuple[str, ...], base: Path) -> None:
    for entry in reversed(entries):
        directory = str((base / entry).resolve())
        if directory not in sys.path:
            sys.path.insert(0, directory)


_AGENT_KEYS = {"entry", "description", "priority", "args", "restart", "budget"}


def _agent(name: str, raw: dict[str, Any], where: str) -> AgentSpec:
    place = f"{where}: agents.{name}"
    _only_keys(raw, _AGENT_KEYS, f"{where}: [agents.{name}]")
    entry = raw.get("entry")
    if not isinstance(entry, str) or not _ENTRY.match(entry):
        raise ConfigError(
            f"{place}.entry must be 'module:function' (like 'my_agents:echo'), got {entry!r}"
        )
    function = resolve_entry(entry, place)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"{place}.description must be text")
    args = raw.get("args", {})
    if not isinstance(args, dict):
        raise ConfigError(f"{place}.args must be a table of default arguments")
    spec = AgentSpec(
        name=name,
        entry=entry,
        function=function,
        description=description,
        priority=parse_priority(raw.get("priority", "NORMAL"), f"{place}.priority"),
        args=args,
        restart=_restart(raw.get("restart"), f"{place}.restart"),
        budget=_budget(raw.get("budget"), f"{place}.budget"),
    )
    try:
        inspect.signature(function).bind_partial(**args)
    except TypeError as error:
        raise ConfigError(f"{place}.args do not fit {_signature(function)}: {error}") from None
    return spec


def resolve_entry(entry: str, place: str = "entry") -> AgentFunction:
    """Import ``module:function`` and check it is an ``async def``."""
    module_name, _, attribute = entry.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as error:  # an agent module may fail to import in any way
        raise ConfigError(
            f"{place}: cannot import module {module_name!r}: {type(error).__name__}: {error}"
        ) from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ConfigError(f"{place}: module {module_name!r} has no {attribute!r}") from None
    if not inspect.iscoroutinefunction(target):
        raise ConfigError(f"{place}: {entry} is not an async function (async def)")
    function: AgentFunction = target
    return function


def parse_priority(value: Any, place: str) -> Priority:
    """A priority by name (``"HIGH"``, case-insensitive)."""
    names = ", ".join(p.name for p in Priority)
    if not isinstance(value, str) or value.upper() not in Priority.__members__:
        raise ConfigError(f"{place} must be one of {names}, got {value!r}")
    return Priority[value.upper()]


def _numbers(raw: dict[str, Any], allowed: dict[str, type], place: str) -> dict[str, Any]:
    _only_keys(raw, set(allowed), place)
    out: dict[str, Any] = {}
    for key, kind in allowed.items():
        if key not in raw:
            continue
        value = raw[key]
        if kind is str:
            if not isinstance(value, str):
                raise ConfigError(f"{place}.{key} must be text, got {_kind(value)}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{place}.{key} must be a number, got {_kind(value)}")
        elif kind is int and not isinstance(value, int):
            raise ConfigError(f"{place}.{key} must be a whole number, got {value!r}")
        elif value < 0:
            raise ConfigError(f"{place}.{key} must be 0 or more, got {value!r}")
        out[key] = value
    return out


def _restart(value: Any, place: str) -> Restart | None:
    if value is None or value is False:
        return None
    if value is True:
        return Restart()
    if not isinstance(value, dict):
        raise ConfigError(f"{place} must be true, false or a table, got {_kind(value)}")
    allowed = {"max_restarts": int, "within": float, "backoff": float, "max_backoff": float}
    return Restart(**_numbers(value, allowed, place))


def _budget(value: Any, place: str) -> BudgetSpec | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{place} must be a table like {{ seconds = 0.5, per = 1.0 }}")
    numbers = _numbers(value, {"seconds": float, "per": float, "action": str}, place)
    if "seconds" not in numbers:
        raise ConfigError(f"{place}.seconds is required")
    action = numbers.get("action", "demote")
    if action not in {a.value for a in OverBudget}:
        choices = ", ".join(a.value for a in OverBudget)
        raise ConfigError(f"{place}.action must be one of {choices}, got {action!r}")
    spec = BudgetSpec(numbers["seconds"], numbers.get("per", 1.0), action)
    try:
        spec.build()
    except ValueError as error:
        raise ConfigError(f"{place}: {error}") from None
    return spec
