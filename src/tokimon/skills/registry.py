"""The skill registry: every skill, its state, and the tools it gives each role.

Built-ins come from ``tokimon/skills_builtin/manifest.json`` and are checked once, when
the registry is made. Generated skills are the folders of the workspace's
``skills_generated/``; :meth:`SkillRegistry.refresh` rescans it, and a folder whose files
changed (added, edited, removed: compared by content digest) is loaded again. That is the
hot reload: the toolset calls :meth:`refresh` before every model turn and every tool call,
so a skill the SkillBuilder registers in one step is a tool of the next call.

Loading never raises. A skill whose manifest is invalid, whose input schema is broken,
whose name clashes, or whose module does not import (checked in a subprocess, never in
this process) is *quarantined* with its error: listed, not offered, reported once in the
trace (``skill.quarantined``), and loaded again as soon as its files change.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

import tiffany
from tiffany.models import ToolSpec

from ..tools import TOOL_NAMES, Tool, ToolContext, ToolOutput
from ..tools.toolset import ROLE_TOOLS
from .context import SkillContext
from .manifest import MANIFEST_NAME, SkillError, SkillManifest, parse_manifest, read_manifest
from .sandbox import call_blocking, call_in_subprocess, run_tests_blocking

BUILTIN_DIR = Path(__file__).resolve().parents[1] / "skills_builtin"
BUILTIN_PACKAGE = "tokimon.skills_builtin"
GENERATED_DIRNAME = "skills_generated"
CACHE_DIRNAME = "skills_cache"
RESERVED_NAMES = frozenset({*TOOL_NAMES, "delegate", "build_skill"})
PROBE_TIMEOUT = 30.0

SkillStatus = Literal["active", "quarantined", "disabled"]


@dataclass(frozen=True)
class Skill:
    """One skill as the registry sees it; ``manifest`` is None when it could not be read."""

    name: str
    origin: Literal["builtin", "generated"]
    folder: Path
    status: SkillStatus
    manifest: SkillManifest | None = None
    error: str | None = None
    fingerprint: str = ""

    @property
    def active(self) -> bool:
        return self.status == "active" and self.manifest is not None

    def code(self) -> dict[str, str]:
        """Where the host finds the code: a package module, or a generated skill's file."""
        assert self.manifest is not None
        if self.origin == "builtin":
            return {"module": f"{BUILTIN_PACKAGE}.{self.manifest.module}"}
        return {"path": str(self.folder / (self.manifest.module.replace(".", "/") + ".py"))}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "origin": self.origin,
            "status": self.status,
            "folder": str(self.folder),
        }
        if self.error:
            data["error"] = self.error
        if self.manifest is not None:
            data["manifest"] = self.manifest.to_json()
        return data


@dataclass(frozen=True)
class SkillChange:
    """What one refresh changed for one skill: ``loaded``, ``quarantined`` or ``removed``."""

    kind: str
    skill: Skill


def role_capabilities(role: str) -> frozenset[str]:
    """What a role's tools let it do: ``read`` always, ``write`` with a writing tool,
    ``run`` with ``run_tests``; a skill is offered to roles that can do all it needs."""
    key = "".join(ch for ch in role.lower() if ch.isalnum())
    tools: set[str] = set()
    for name, granted in ROLE_TOOLS.items():
        if "".join(ch for ch in name.lower() if ch.isalnum()) == key:
            tools = set(granted)
    capabilities = {"read"}
    if tools & {"write_file", "apply_patch"}:
        capabilities.add("write")
    if "run_tests" in tools:
        capabilities.add("run")
    return frozenset(capabilities)


class SkillArguments(BaseModel):
    """A skill's arguments: a JSON object checked against the skill's own schema."""

    model_config = ConfigDict(extra="allow")


class SkillRegistry:
    """Built-in and generated skills; see the module docstring."""

    def __init__(
        self,
        generated: Path | None = None,
        *,
        cache: Path | None = None,
        builtins: bool = True,
        probe_timeout: float = PROBE_TIMEOUT,
    ) -> None:
        self.generated = generated
        self.cache = cache or (
            generated.parent / CACHE_DIRNAME if generated else Path(".tokimon") / CACHE_DIRNAME
        )
        self.probe_timeout = probe_timeout
        self._lock = threading.Lock()
        self._builtin = self._load_builtins() if builtins else {}
        self._generated: dict[str, Skill] = {}
        self._reported: dict[str, str] = {}
        self.refresh()

    @classmethod
    def for_workspace(cls, root: Path, **options: Any) -> SkillRegistry:
        """The registry of a workspace: ``ROOT/skills_generated``, cache ``ROOT/skills_cache``."""
        return cls(root / GENERATED_DIRNAME, cache=root / CACHE_DIRNAME, **options)

    # -- what there is ---------------------------------------------------------------------
    def skills(self) -> list[Skill]:
        """Every skill, built-ins first, each origin by name."""
        generated = [self._generated[name] for name in sorted(self._generated)]
        return [*self._builtin.values(), *generated]

    def get(self, name: str) -> Skill:
        skill = self._generated.get(name) or self._builtin.get(name)
        if skill is None:
            known = ", ".join(s.name for s in self.skills()) or "none"
            raise SkillError(f"there is no skill {name!r}; the skills are: {known}")
        return skill

    def active(self) -> list[Skill]:
        return [skill for skill in self.skills() if skill.active]

    def tools_for(self, role: str | None = None) -> list[Tool[Any]]:
        """The active skills as tools, those a ``role`` may use (all when None)."""
        allowed = role_capabilities(role) if role is not None else None
        return [
            self._tool(skill)
            for skill in self.active()
            if skill.manifest is not None
            and (allowed is None or set(skill.manifest.needs) <= allowed)
        ]

    def for_role(self, role: str) -> RoleSkills:
        """The live view a role's toolset holds: refreshed before each turn and call."""
        return RoleSkills(self, role)

    # -- loading ---------------------------------------------------------------------------
    def _load_builtins(self) -> dict[str, Skill]:
        data = json.loads((BUILTIN_DIR / MANIFEST_NAME).read_text(encoding="utf-8"))
        found: dict[str, Skill] = {}
        for entry in data["skills"]:
            name = str(entry.get("name", "?"))
            try:
                manifest = parse_manifest(entry, f"built-in skill {name}")
                module = importlib.import_module(f"{BUILTIN_PACKAGE}.{manifest.module}")
                if not callable(getattr(module, manifest.function, None)):
                    raise SkillError(f"built-in skill {name}: no function {manifest.function!r}")
            except Exception as exc:
                found[name] = Skill(name, "builtin", BUILTIN_DIR, "quarantined", error=str(exc))
                continue
            status: SkillStatus = "active" if manifest.status == "active" else "disabled"
            found[name] = Skill(name, "builtin", BUILTIN_DIR, status, manifest)
        return found

    def refresh(self) -> list[SkillChange]:
        """Rescan ``skills_generated/``; load what changed, forget what is gone."""
        if self.generated is None:
            return []
        with self._lock:
            changes: list[SkillChange] = []
            current: dict[str, Skill] = {}
            folders = sorted(self.generated.iterdir()) if self.generated.is_dir() else []
            for folder in folders:
                if not folder.is_dir() or folder.name.startswith((".", "_")):
                    continue
                known = self._generated.get(folder.name)
                try:
                    fingerprint = _fingerprint(folder)
                except OSError:  # being written or removed right now: the next refresh sees it
                    if known is not None:
                        current[folder.name] = known
                    continue
                if known is not None and known.fingerprint == fingerprint:
                    current[folder.name] = known
                    continue
                skill = self._load_generated(folder, fingerprint)
                current[folder.name] = skill
                kind = "loaded" if skill.status != "quarantined" else "quarantined"
                changes.append(SkillChange(kind, skill))
            for name, skill in self._generated.items():
                if name not in current:
                    changes.append(SkillChange("removed", skill))
            self._generated = current
            return changes

    async def refresh_async(self) -> list[SkillChange]:
        """:meth:`refresh` in a worker thread (a changed skill is probed in a subprocess),
        each change traced as ``skill.loaded``, ``skill.quarantined`` or ``skill.removed``."""
        changes = await tiffany.to_thread(self.refresh)
        for change in changes:
            skill = change.skill
            version = skill.manifest.version if skill.manifest else None
            tiffany.emit(
                f"skill.{change.kind}",
                skill=skill.name,
                origin=skill.origin,
                version=version,
                error=skill.error,
            )
        return changes

    def _load_generated(self, folder: Path, fingerprint: str) -> Skill:
        name = folder.name
        try:
            manifest = read_manifest(folder / MANIFEST_NAME)
            self._check_generated(folder, manifest)
            probe = {**self._code(folder, manifest), "function": manifest.function, "probe": True}
            result, _ = call_blocking(probe, cwd=folder, timeout=self.probe_timeout)
            if not result.get("ok"):
                raise SkillError(f"the module does not import: {result.get('error')}")
        except SkillError as exc:
            return Skill(
                name, "generated", folder, "quarantined", error=str(exc), fingerprint=fingerprint
            )
        status: SkillStatus = "active" if manifest.status == "active" else "disabled"
        return Skill(name, "generated", folder, status, manifest, fingerprint=fingerprint)

    def _check_generated(self, folder: Path, manifest: SkillManifest) -> None:
        if manifest.name != folder.name:
            raise SkillError(f"the manifest names {manifest.name!r}, its folder {folder.name!r}")
        if manifest.origin != "generated":
            raise SkillError("a skill in skills_generated/ must have origin 'generated'")
        if manifest.name in RESERVED_NAMES or manifest.name in self._builtin:
            raise SkillError(f"the name {manifest.name!r} is taken by a tool or a built-in skill")
        module = folder / (manifest.module.replace(".", "/") + ".py")
        if not module.is_file():
            raise SkillError(f"the entry's module {module.name} is missing")

    @staticmethod
    def _code(folder: Path, manifest: SkillManifest) -> dict[str, str]:
        return {"path": str(folder / (manifest.module.replace(".", "/") + ".py"))}

    # -- calling ---------------------------------------------------------------------------
    def _tool(self, skill: Skill) -> Tool[Any]:
        manifest = skill.manifest
        assert manifest is not None
        spec = ToolSpec(
            name=skill.name,
            description=f"{manifest.description} (skill {skill.name} v{manifest.version}, "
            f"{skill.origin})",
            parameters=dict(manifest.input_schema),
        )

        async def run(arguments: Any, context: ToolContext) -> ToolOutput:
            return await self.call(skill.name, dict(arguments), context)

        return Tool(spec, SkillArguments, run, manifest.timeout, "write" in manifest.needs)

    async def call(
        self, name: str, arguments: Mapping[str, Any], context: ToolContext
    ) -> ToolOutput:
        """Run skill ``name`` as it is now, in a subprocess, inside ``context``'s tree."""
        try:
            skill = self.get(name)
        except SkillError as exc:
            return ToolOutput.error(f"Error: {exc}")
        if not skill.active or skill.manifest is None:
            return ToolOutput.error(f"Error: skill {name} is {skill.status}: {skill.error}")
        manifest = skill.manifest
        for key, is_list in manifest.path_arguments():
            if key in arguments:
                values = arguments[key] if is_list else [arguments[key]]
                for value in values:
                    context.tree.resolve(str(value))  # PathRefused: the boundary
        limit = min(manifest.timeout, context.remaining())
        skill_context = SkillContext.create(
            context.tree.root,
            self.cache,
            timeout=limit,
            test_command=context.config.test_command,
        )
        request = {
            **skill.code(),
            "function": manifest.function,
            "arguments": dict(arguments),
            "context": skill_context.to_json(),
        }
        result, output = await call_in_subprocess(request, cwd=context.tree.root, timeout=limit)
        data = {"skill": name, "version": manifest.version, "origin": skill.origin}
        if not result.get("ok"):
            log = f"\noutput:\n{output[-2000:]}" if output.strip() else ""
            return ToolOutput.error(
                f"Error: skill {name} failed ({result.get('stage')}): {result.get('error')}{log}",
                **data,
            )
        return ToolOutput(
            str(result["text"]), bool(result.get("is_error")), {**data, **result.get("data", {})}
        )

    # -- managing --------------------------------------------------------------------------
    def test(self, name: str, timeout: float = 300.0) -> tuple[bool, str]:
        """Run the skill's own tests (blocking); whether they passed, and their output."""
        skill = self.get(name)
        if skill.manifest is None:
            return False, f"skill {name} is quarantined: {skill.error}"
        return run_tests_blocking(skill.folder, skill.manifest.tests, timeout=timeout)

    def remove(self, name: str) -> Skill:
        """Delete a generated skill's folder; a built-in cannot be removed."""
        skill = self.get(name)
        if skill.origin == "builtin":
            raise SkillError(f"{name} is a built-in skill; only generated skills can be removed")
        shutil.rmtree(skill.folder)
        self.refresh()
        return skill


@dataclass(frozen=True)
class RoleSkills:
    """A role's skills as a toolset's dynamic part (see :class:`tokimon.tools.Toolset`)."""

    registry: SkillRegistry
    role: str

    async def refresh(self) -> None:
        try:
            await self.registry.refresh_async()
        except Exception as exc:  # a skill folder must never stop a run; keep the last view
            tiffany.emit("skill.refresh_failed", error=f"{type(exc).__name__}: {exc}")

    def tools(self) -> Sequence[Tool[Any]]:
        return self.registry.tools_for(self.role)


def _fingerprint(folder: Path) -> str:
    """A digest of the folder's files (names and contents, not times)."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.endswith((".pyc", ".tmp")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
