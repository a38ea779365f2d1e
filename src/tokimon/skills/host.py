"""The process a skill runs in: ``python -m tokimon.skills.host REQUEST RESULT``.

The request (JSON) names the skill's code (a module of the package, or a file of a
generated skill), its entry function, the arguments and the context; the host imports
it, calls it and writes the result (JSON) to RESULT. With ``"probe": true`` it only
imports the module and checks the entry is a function: that is how a skill that fails
to import is found without running generated code in the agent's own process.

Whatever the skill prints goes to the process's output, which the caller keeps as a log;
the answer is only what the result file says. The exit status is 0 whenever a result was
written, so a non-zero status means the host itself died (killed, out of memory).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from .context import SkillContext, normalise_result


def load_entry(request: dict[str, Any]) -> Callable[..., Any]:
    """Import the skill's module and return its entry function (or raise)."""
    module: ModuleType
    if request.get("path"):
        path = Path(request["path"])
        sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location(f"tokimon_skill_{path.parent.name}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(request["module"])
    entry = getattr(module, request["function"], None)
    if not callable(entry):
        raise AttributeError(
            f"the module has no function {request['function']!r} (the manifest's entry)"
        )
    return entry  # type: ignore[no-any-return]


def serve(request: dict[str, Any]) -> dict[str, Any]:
    """The result of one request; never raises for the skill's own failures."""
    try:
        entry = load_entry(request)
    except BaseException as exc:  # a broken module: syntax, import, anything at import
        return {"ok": False, "stage": "import", "error": _describe(exc)}
    if request.get("probe"):
        return {"ok": True}
    context = SkillContext.from_json(request["context"])
    try:
        value = entry(request.get("arguments") or {}, context)
        result = normalise_result(value)
        json.dumps(result)
    except BaseException as exc:
        return {"ok": False, "stage": "run", "error": _describe(exc)}
    return {"ok": True, **result}


def _describe(exc: BaseException) -> str:
    lines = traceback.format_exception(exc)
    return "".join(lines[-12:]).strip()


def main(argv: list[str]) -> int:
    request_path, result_path = argv
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    result = serve(request)
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
