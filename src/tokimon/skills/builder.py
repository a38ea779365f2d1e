"""The SkillBuilder's tool: a skill written, tested, and registered only if its tests pass.

``build_skill`` takes what the SkillBuilder wrote (the module's source, its unit tests,
the manifest fields, and the justification: the gap, the design, the expected benefit)
and:

1. checks the manifest (name free, schema sound, entry ``skill:<function>``);
2. writes module, tests and ``manifest.json`` into a staging folder
   (``skills_generated/.staging/``, which the registry never loads);
3. runs the tests there with pytest, in a subprocess without credentials;
4. on a pass, moves the folder into place in one rename, refreshes the registry (so the
   skill is a tool from the next call on, in this run) and writes a Lesson into the
   run's ``lessons/`` (gap, design, expected benefit); on a failure, deletes the staging
   folder and answers with the test output, so the step fails with it
   (:func:`tokimon.workers.judge` fails a step whose last build was not registered).
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

import tiffany
from tiffany.atomic import write_atomic

from ..lessons import Lesson
from ..tools import Tool, ToolContext, ToolOutput, bound_text, define_tool
from ..trace import bound
from ..workflow.engine import StepContext
from ..workspace import utc_now
from .manifest import MANIFEST_NAME, Need, SkillError, SkillManifest, parse_manifest
from .registry import RESERVED_NAMES, SkillRegistry
from .sandbox import run_tests_blocking

BUILD_SKILL = "build_skill"
MODULE_FILE = "skill.py"
TEST_FILE = "test_skill.py"
TEST_TIMEOUT = 240.0
OUTPUT_BYTES = 6000


def _read_only() -> list[Need]:
    return ["read"]


class BuildSkillArgs(BaseModel):
    """Create a reusable skill: a small Python module, its manifest entry and its unit tests.

    The module defines `run(args: dict, ctx) -> str | dict` (ctx.repo is the repository,
    ctx.run(argv) runs a command, ctx.resolve(path) checks a path). The tests are a pytest
    file that imports it with `from skill import run` and builds what it needs in
    tmp_path (`from tokimon.skills import SkillContext`; SkillContext.create(tmp_path)).
    The skill is registered, and becomes a tool, only if its tests pass.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="lowercase name, letters, digits and '_' (e.g. count_todos)")
    description: str = Field(description="what the skill does, for the model that will call it")
    input_schema: dict[str, Any] = Field(
        description='JSON Schema of its arguments, {"type": "object", "properties": {...}}; '
        'a property with "format": "path" is checked to stay inside the repository'
    )
    code: str = Field(description="the Python source of skill.py")
    tests: str = Field(description="the pytest source of test_skill.py")
    entry_function: str = Field(default="run", description="the function the tool calls")
    needs: list[Need] = Field(
        default_factory=_read_only, description="read, write (changes files), run"
    )
    version: str = "1.0.0"
    gap: str = Field(description="the gap: a repeated tool sequence, or a preventable failure")
    design: str = Field(description="how the skill fills it")
    benefit: str = Field(description="what it is expected to save")


def build_skill_tool(registry: SkillRegistry, context: StepContext) -> Tool[BuildSkillArgs]:
    """``build_skill`` for one attempt of a step (the lesson names the step and attempt)."""

    async def run(args: BuildSkillArgs, tool: ToolContext) -> ToolOutput:
        return await build_skill(registry, args, context)

    return define_tool(BuildSkillArgs, run, name=BUILD_SKILL, timeout=TEST_TIMEOUT + 60)


def manifest_of(args: BuildSkillArgs, context: StepContext | None) -> SkillManifest:
    provenance = {}
    if context is not None:
        provenance = {"run": context.run.id, "step": context.step.id, "attempt": context.attempt}
    return parse_manifest(
        {
            "name": args.name,
            "description": args.description,
            "input_schema": args.input_schema,
            "entry": f"skill:{args.entry_function}",
            "tests": [TEST_FILE],
            "version": args.version,
            "origin": "generated",
            "needs": args.needs,
            "justification": {"gap": args.gap, "design": args.design, "benefit": args.benefit},
            "created_by": provenance,
        },
        f"skill {args.name!r}",
    )


async def build_skill(
    registry: SkillRegistry, args: BuildSkillArgs, context: StepContext | None
) -> ToolOutput:
    """Steps 1-4 of the module docstring; the answer's data says ``registered``."""
    if registry.generated is None:
        return _refused("this registry has no skills_generated folder")
    try:
        manifest = manifest_of(args, context)
        if manifest.name in RESERVED_NAMES or any(
            s.name == manifest.name and s.origin == "builtin" for s in registry.skills()
        ):
            raise SkillError(f"the name {manifest.name!r} is taken by a tool or built-in skill")
    except SkillError as exc:
        return _refused(str(exc))
    staging = registry.generated / ".staging" / f"{manifest.name}-{secrets.token_hex(4)}"
    staging.mkdir(parents=True)
    write_atomic(staging / MODULE_FILE, args.code)
    write_atomic(staging / TEST_FILE, args.tests)
    write_atomic(staging / MANIFEST_NAME, json.dumps(manifest.to_json(), indent=2) + "\n")
    passed, output = await tiffany.to_thread(_test, staging)
    shown, _ = bound_text(output.strip(), OUTPUT_BYTES, keep="tail")
    if not passed:
        shutil.rmtree(staging, ignore_errors=True)
        _emit(context, "skill.rejected", skill=manifest.name, test_output=bound(shown, 2000))
        return ToolOutput.error(
            f"Error: the tests of skill {manifest.name} did not pass, so it was NOT "
            f"registered. Test output:\n{shown}",
            registered=False,
            skill=manifest.name,
            test_output=shown,
        )
    target = _install(registry.generated, staging, manifest.name)
    await registry.refresh_async()
    skill = registry.get(manifest.name)
    if not skill.active:
        return _refused(f"the skill passed its tests but does not load: {skill.error}")
    lesson = _write_lesson(context, manifest, shown) if context is not None else None
    _emit(
        context,
        "skill.registered",
        skill=manifest.name,
        version=manifest.version,
        folder=str(target),
        lesson=lesson,
    )
    summary = shown.strip().splitlines()[-1] if shown.strip() else "tests passed"
    return ToolOutput(
        f"Registered skill {manifest.name} v{manifest.version} ({summary}). It is a tool "
        f"from the next call on: call {manifest.name} with arguments matching its schema.",
        data={
            "registered": True,
            "skill": manifest.name,
            "version": manifest.version,
            "lesson": lesson,
            "test_output": bound(shown, 1000),
        },
    )


def _emit(context: StepContext | None, kind: str, **fields: Any) -> None:
    """A trace event, with the step and attempt when the build is part of one."""
    if context is None:
        tiffany.emit(kind, **fields)
    else:
        context.trace.emit(kind, step=context.step.id, attempt=context.attempt, **fields)


def _test(staging: Path) -> tuple[bool, str]:
    return run_tests_blocking(staging, [TEST_FILE], cwd=staging, timeout=TEST_TIMEOUT)


def _refused(message: str) -> ToolOutput:
    return ToolOutput.error(
        f"Error: {message}; the skill was not registered",
        registered=False,
        test_output=message,
    )


def _install(generated: Path, staging: Path, name: str) -> Path:
    """Put ``staging`` in place as ``generated/name`` (replacing an older version)."""
    target = generated / name
    if target.exists():
        trash = generated / ".trash" / f"{name}-{secrets.token_hex(4)}"
        trash.parent.mkdir(parents=True, exist_ok=True)
        target.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)
    staging.rename(target)
    return target


def _write_lesson(context: StepContext, manifest: SkillManifest, tests: str) -> str:
    """A Lesson in the run's ``lessons/``: the gap, the design, the expected benefit."""
    why = manifest.justification
    assert why is not None
    body = (
        f"# Lesson: skill {manifest.name} v{manifest.version} registered\n\n"
        f"Step {context.step.id}, attempt {context.attempt}, built a skill whose tests pass.\n\n"
        f"## Gap\n\n{why.gap or '(not given)'}\n\n"
        f"## Design\n\n{why.design or '(not given)'}\n\n"
        f"## Expected benefit\n\n{why.benefit or '(not given)'}\n\n"
        f"## Use\n\n{manifest.description} Call the tool `{manifest.name}`; "
        f"inputs: {json.dumps(manifest.input_schema.get('properties', {}))[:600]}\n\n"
        f"## Tests\n\n```\n{bound(tests, 1500)}\n```\n"
    )
    lesson = Lesson(
        id=f"{context.run.id}-{context.step.id}-skill-{manifest.name}",
        timestamp=utc_now(),
        task_id=context.run.id,
        step_id=context.step.id,
        attempt=context.attempt,
        failure_signature="",
        strategy_id=context.strategy,
        tags=sorted({"skill", f"skill:{manifest.name}", "skill-builder", context.step.id}),
        body=body,
    )
    path = context.run.lessons / f"skill-{manifest.name}-v{manifest.version}.md"
    write_atomic(path, lesson.to_markdown())
    context.trace.emit(
        "lesson.written",
        step=context.step.id,
        attempt=context.attempt,
        lesson=lesson.id,
        path=str(path.relative_to(context.run.root)),
    )
    return str(path.relative_to(context.run.root))
