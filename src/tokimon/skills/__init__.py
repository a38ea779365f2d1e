"""Skills: small Python modules the agent calls as tools, built in or built by itself.

A skill is a module with a manifest entry (:class:`SkillManifest`: name, description,
input schema, entry function, tests, version, origin, status). Built-ins ship in
``tokimon.skills_builtin``; generated ones live in the workspace's ``skills_generated/``.
The :class:`SkillRegistry` offers the active ones to each role as tools, reloads
generated ones as they change, and quarantines those that do not load; every call runs
in a subprocess without credentials (:mod:`.sandbox`). The SkillBuilder role adds skills
through ``build_skill`` (:mod:`.builder`), which registers only what passes its tests.

See ``docs/tokimon/skills.md``.
"""

from __future__ import annotations

from .builder import BUILD_SKILL, BuildSkillArgs, build_skill, build_skill_tool
from .context import SkillContext, normalise_result
from .manifest import SkillError, SkillManifest, read_manifest, schema_problems
from .registry import (
    GENERATED_DIRNAME,
    RoleSkills,
    Skill,
    SkillChange,
    SkillRegistry,
    role_capabilities,
)
from .sandbox import clean_environment

__all__ = [
    "BUILD_SKILL",
    "GENERATED_DIRNAME",
    "BuildSkillArgs",
    "RoleSkills",
    "Skill",
    "SkillChange",
    "SkillContext",
    "SkillError",
    "SkillManifest",
    "SkillRegistry",
    "build_skill",
    "build_skill_tool",
    "clean_environment",
    "normalise_result",
    "read_manifest",
    "role_capabilities",
    "schema_problems",
]
