"""Helpers of the agent tests: fixture repositories, scripted model turns, a real client.

The model is the project's scripted OpenAI-compatible server on 127.0.0.1, reached
through the official ``openai`` SDK, so every test drives real HTTP, real files and a
real pytest in a subprocess.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tiffany.models import Client, RetryPolicy, client
from tiffany.models.testing import ScriptedServer

FIXTURES = Path(__file__).parent / "fixtures_agent"
MODEL = "openai-compatible:scripted-agent"
KEY = "agent-test-key-7f3a9c2e1b5d"
"""An API key that matches no credential pattern: only the client's own redactor knows it."""

GOAL = "make the failing test in tests/test_dates.py pass"


def fix_patch(path: str = "dates.py") -> str:
    """The diff that makes ``parse`` of the fixture's dates.py know each month's length, for
    that file at ``path``: the self-improve tests keep it under src/."""
    return f"""\
--- a/{path}
+++ b/{path}
@@ -12,6 +12,9 @@ def parse(text):
     year, month, day = (int(part) for part in text.split("-"))
     if not 1 <= month <= 12:
         return None
-    if not 1 <= day <= 31:
+    last = DAYS_IN_MONTH[month - 1]
+    if month == 2 and is_leap(year):
+        last = 29
+    if not 1 <= day <= last:
         return None
     return year, month, day
"""


FIX_PATCH = fix_patch()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting of this machine leaks in: no model, workspace or server from the
    environment, and the fixture repositories' pytest loads no plugin installed here.
    Import it as ``from agent_fixtures import clean_env as clean_env`` to use it."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    for name in ("TOKIMON_MODEL", "TOKIMON_WORKSPACE", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def copy_repo(tmp_path: Path, name: str = "dates_repo") -> Path:
    """A fresh copy of a fixture repository to let the agent change."""
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def model_client(server: ScriptedServer) -> Client:
    return client(MODEL, base_url=server.base_url, api_key=KEY, retry=RetryPolicy(max_attempts=1))


def env_for(server: ScriptedServer) -> dict[str, str]:
    """What the CLI reads to reach the scripted server."""
    return {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": KEY, "TOKIMON_MODEL": MODEL}


def step(step_id: str, role: str = "Implementer", **fields: Any) -> dict[str, Any]:
    return {"id": step_id, "role": role, **fields}


def plan(*steps: dict[str, Any]) -> dict[str, Any]:
    """A script entry answering with a plan of ``steps``."""
    return {"text": json.dumps({"steps": list(steps)})}


def call(name: str, **arguments: Any) -> dict[str, Any]:
    """A script entry calling one tool."""
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def final(status: str = "succeeded", summary: str = "done", **fields: Any) -> dict[str, Any]:
    """A script entry with a worker's final answer."""
    return {"text": "Finished.\n" + json.dumps({"status": status, "summary": summary, **fields})}


FIX_STEP = step("fix", inputs={"task": "Fix dates.parse so tests/test_dates.py passes."})

FIXING_TURNS = [
    call("read_file", path="dates.py"),
    call("apply_patch", patch=FIX_PATCH),
    call("run_tests", targets=["tests/test_dates.py"]),
    final(summary="parse now checks each month's length, leap years included"),
]
"""An Implementer that reads the file, patches it, runs the tests and finishes."""
