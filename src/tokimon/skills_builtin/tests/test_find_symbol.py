"""find_symbol on a small repository: definitions, callers, a method by dotted path."""

from __future__ import annotations

from tokimon.skills import SkillContext
from tokimon.skills_builtin.find_symbol import run


def test_a_function_s_definition_and_callers(ctx: SkillContext) -> None:
    result = run({"symbol": "parse"}, ctx)
    data = result["data"]
    assert [(d["path"], d["line"]) for d in data["definitions"]] == [("pkg/core.py", 1)]
    callers = {(c["path"], c["caller"].rsplit(".", 1)[-1]) for c in data["callers"]}
    assert callers == {("pkg/core.py", "open"), ("tests/test_core.py", "test_parse")}
    assert "defined: pkg/core.py:1" in result["text"]


def test_a_method_by_dotted_path_and_an_unknown_name(ctx: SkillContext) -> None:
    method = run({"symbol": "Box.open"}, ctx)["data"]["definitions"]
    assert [(d["path"], d["kind"]) for d in method] == [("pkg/core.py", "method")]
    missing = run({"symbol": "nowhere_at_all"}, ctx)
    assert missing["data"]["definitions"] == [] and "no definition found" in missing["text"]
