"""A skill's manifest entry: what it is called, what it takes, where its code and tests are.

One entry per skill, the same shape for both origins. A built-in's entry is one item of
``tokimon/skills_builtin/manifest.json`` (its module is ``tokimon.skills_builtin.<name>``);
a generated skill's is ``skills_generated/<name>/manifest.json`` in the workspace, next to
its module and tests. Everything a model or a file says is checked here before anything
runs: the name, the entry (``module:function``), the needs, and the input schema, which
must be an object schema in the subset of JSON Schema the tool validator understands.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import TokimonError

NAME = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
VERSION = re.compile(r"^[0-9][0-9A-Za-z.+-]{0,31}$")
ENTRY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
MANIFEST_NAME = "manifest.json"
SCHEMA_TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object", "null"})

Origin = Literal["builtin", "generated"]
Need = Literal["read", "write", "run"]
Status = Literal["active", "disabled"]


class SkillError(TokimonError):
    """A skill that cannot be loaded, built, run or found; the message says why."""


class Justification(BaseModel):
    """Why a generated skill exists: the gap it fills, its design, what it should save."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gap: str = ""
    design: str = ""
    benefit: str = ""


class SkillManifest(BaseModel):
    """One skill's entry; see the module docstring.

    ``needs`` says what the skill does beyond reading the repository: ``write`` (changes
    files) and ``run`` (runs commands); a role gets the skill only when its own tools
    allow as much. ``tests`` are paths of test files relative to the skill's folder.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = Field(min_length=1)
    input_schema: dict[str, Any]
    entry: str
    tests: tuple[str, ...] = ()
    version: str = "1.0.0"
    origin: Origin
    status: Status = "active"
    needs: tuple[Need, ...] = ("read",)
    timeout: float = Field(default=60.0, gt=0, le=3600)
    justification: Justification | None = None
    created_by: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(
                f"{value!r} is not a skill name: 2-48 lowercase letters, digits or '_', "
                "starting with a letter"
            )
        return value

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not VERSION.match(value):
            raise ValueError(f"{value!r} is not a version (e.g. 1.0.0)")
        return value

    @field_validator("entry")
    @classmethod
    def _entry(cls, value: str) -> str:
        if not ENTRY.match(value):
            raise ValueError(f"{value!r} is not an entry: write it as module:function")
        return value

    @field_validator("input_schema")
    @classmethod
    def _schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        problems = schema_problems(value)
        if problems:
            raise ValueError("the input schema is broken: " + "; ".join(problems))
        return value

    @field_validator("tests")
    @classmethod
    def _tests(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for path in value:
            if Path(path).is_absolute() or ".." in Path(path).parts or not path.endswith(".py"):
                raise ValueError(f"test file {path!r} must be a .py path inside the skill")
        return value

    @property
    def module(self) -> str:
        return self.entry.partition(":")[0]

    @property
    def function(self) -> str:
        return self.entry.partition(":")[2]

    def path_arguments(self) -> list[tuple[str, bool]]:
        """The arguments that name files (``"format": "path"``), each with whether it is
        a list of paths: the ones checked against the workspace boundary."""
        found = []
        for key, prop in self.input_schema.get("properties", {}).items():
            if prop.get("format") == "path":
                found.append((key, False))
            elif prop.get("type") == "array" and (prop.get("items") or {}).get("format") == "path":
                found.append((key, True))
        return found

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def schema_problems(schema: Any, where: str = "input_schema") -> list[str]:
    """What keeps ``schema`` from being an input schema a model can be shown and held to."""
    if not isinstance(schema, Mapping):
        return [f"{where} must be a JSON object"]
    if where == "input_schema" and schema.get("type") != "object":
        return [f'{where} must have "type": "object"']
    problems: list[str] = []
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    unknown = [k for k in kinds if k not in SCHEMA_TYPES]
    if unknown:
        problems.append(f"{where}: unknown type {unknown[0]!r}")
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        problems.append(f"{where}.properties must be an object")
        properties = {}
    for key, prop in properties.items():
        problems.extend(schema_problems(prop, f"{where}.{key}"))
    required = schema.get("required", [])
    if not isinstance(required, list) or any(key not in properties for key in required):
        problems.append(f"{where}.required must list properties it defines")
    if "items" in schema:
        problems.extend(schema_problems(schema["items"], f"{where}[]"))
    if "enum" in schema and not isinstance(schema["enum"], list):
        problems.append(f"{where}.enum must be a list")
    return problems


def parse_manifest(data: Any, source: str) -> SkillManifest:
    """A manifest from its JSON value; every problem in one :class:`SkillError`."""
    try:
        return SkillManifest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'manifest'}: {error['msg']}"
            for error in exc.errors()
        )
        raise SkillError(f"{source}: invalid manifest: {problems}") from None


def read_manifest(path: Path) -> SkillManifest:
    """The manifest in ``path``; unreadable or invalid is a :class:`SkillError`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SkillError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise SkillError(f"{path}: not JSON: {exc}") from None
    return parse_manifest(data, str(path))
