"""``tokimon skills list|show NAME|test NAME|remove NAME``, as plain functions.

Each returns an exit status (0 done, 1 a skill's tests failed, 2 bad input such as an
unknown name or removing a built-in) and prints a table or, with ``--json``, one JSON
object. They work on the workspace's registry, as a run would see it: built-ins, then
the generated skills of ``skills_generated/``, quarantined ones with their error.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from ..commands import CommandOptions
from ..console import EXIT_FAILED, EXIT_OK, STATE_STYLES, console, table
from ..errors import TokimonError
from .registry import Skill, SkillRegistry

_STATUS_STYLE = {"active": "succeeded", "quarantined": "failed", "disabled": "partial"}


def _registry(options: CommandOptions) -> SkillRegistry:
    return SkillRegistry.for_workspace(options.located().root)


def list_command(options: CommandOptions | None = None) -> int:
    """``tokimon skills list``: every skill with its origin, version and status."""
    chosen = options or CommandOptions()
    out, _ = chosen.streams()
    try:
        registry = _registry(chosen)
    except TokimonError as exc:
        return chosen.error("skills list", str(exc))
    skills = registry.skills()
    if chosen.as_json:
        out.write(json.dumps({"skills": [_row(skill) for skill in skills]}) + "\n")
        return EXIT_OK
    rows = [
        (
            skill.name,
            skill.origin,
            skill.manifest.version if skill.manifest else "?",
            Text(skill.status, style=STATE_STYLES.get(_STATUS_STYLE.get(skill.status, ""), "")),
            (skill.error or (skill.manifest.description if skill.manifest else ""))[:90],
        )
        for skill in skills
    ]
    console(out).print(table("skills", ("name", "origin", "version", "status", "about"), rows))
    return EXIT_OK


def show_command(name: str, options: CommandOptions | None = None) -> int:
    """``tokimon skills show NAME``: the manifest entry, folder and state of one skill."""
    chosen = options or CommandOptions()
    out, _ = chosen.streams()
    try:
        skill = _registry(chosen).get(name)
    except TokimonError as exc:
        return chosen.error("skills show", str(exc))
    data = skill.to_json()
    if chosen.as_json:
        out.write(json.dumps(data) + "\n")
        return EXIT_OK
    view = console(out)
    view.print(f"skill {skill.name} ({skill.origin}): {skill.status}", markup=False)
    if skill.error:
        view.print(f"error: {skill.error}", markup=False)
    view.print(f"folder: {skill.folder}", markup=False)
    if skill.manifest is not None:
        view.print(json.dumps(skill.manifest.to_json(), indent=2), markup=False)
    return EXIT_OK


def test_command(name: str, options: CommandOptions | None = None) -> int:
    """``tokimon skills test NAME``: run the skill's own tests; 1 when they fail."""
    chosen = options or CommandOptions()
    out, _ = chosen.streams()
    try:
        registry = _registry(chosen)
        passed, output = registry.test(name)
    except TokimonError as exc:
        return chosen.error("skills test", str(exc))
    if chosen.as_json:
        out.write(json.dumps({"skill": name, "passed": passed, "output": output}) + "\n")
    else:
        out.write(output.rstrip() + "\n")
        out.write(f"skill {name}: tests {'passed' if passed else 'FAILED'}\n")
    return EXIT_OK if passed else EXIT_FAILED


def remove_command(name: str, options: CommandOptions | None = None) -> int:
    """``tokimon skills remove NAME``: delete a generated skill (never a built-in)."""
    chosen = options or CommandOptions()
    out, _ = chosen.streams()
    try:
        skill = _registry(chosen).remove(name)
    except TokimonError as exc:
        return chosen.error("skills remove", str(exc))
    if chosen.as_json:
        out.write(json.dumps({"removed": skill.name, "folder": str(skill.folder)}) + "\n")
    else:
        out.write(f"removed skill {skill.name} ({skill.folder})\n")
    return EXIT_OK


def _row(skill: Skill) -> dict[str, Any]:
    manifest = skill.manifest
    return {
        "name": skill.name,
        "origin": skill.origin,
        "status": skill.status,
        "version": manifest.version if manifest else None,
        "description": manifest.description if manifest else None,
        "needs": list(manifest.needs) if manifest else [],
        "error": skill.error,
        "folder": str(skill.folder),
    }
