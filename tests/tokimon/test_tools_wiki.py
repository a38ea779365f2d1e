"""The wiki tools: cocowiki asked in-process by the workers that read code.

A whole run through the scripted OpenAI-compatible server: the planning prompt carries
the overview page's summary, a Planner calls ``wiki_lookup`` and its plan cites what the
lookup returned, the Implementer is briefed with that plan, and the trace holds the call
and the once-per-run index refresh.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent_fixtures import FIXING_TURNS, copy_repo, final, plan, step
from agent_fixtures import clean_env as clean_env
from test_manager import run_goal

import tiffany
from cocowiki.pages import BuildConfig, build_wiki
from tiffany.models import ToolCall
from tokimon.tools import ToolConfig, Toolset, start_wiki_run
from tokimon.trace import read_trace

PARSE = "dates.py:10-17"


def build(repo: Path) -> None:
    build_wiki(repo, repo / ".cocowiki", BuildConfig())


def messages(body: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content") or "") for m in body["messages"])


def test_a_planner_looks_a_symbol_up_in_the_wiki_and_plans_from_the_answer(
    tmp_path: Path,
) -> None:
    repo = copy_repo(tmp_path)
    build(repo)
    the_plan = f"parse ({PARSE}) checks day <= 31 for every month: compare with DAYS_IN_MONTH"
    investigate = step(
        "investigate", role="Planner", inputs={"task": "Find where dates are validated."}
    )
    fix = step(
        "fix",
        inputs={
            "task": "Fix dates.parse so tests/test_dates.py passes.",
            "plan": {"step": "investigate", "output": "plan"},
        },
        depends_on=["investigate"],
    )
    script = [
        plan(investigate, fix),
        {"tool_calls": [{"name": "wiki_lookup", "arguments": {"name": "parse"}}]},
        final(summary=f"the check is in parse at {PARSE}", outputs={"plan": the_plan}),
        *FIXING_TURNS,
    ]
    outcome, server = run_goal(repo, script, goal="make tests/test_dates.py pass")

    assert outcome.status == "succeeded", outcome.report
    planning = messages(server.requests[0].body)
    assert "The repository's wiki overview" in planning
    assert "Calendar dates written as YYYY-MM-DD." in planning
    planner_tools = {t["function"]["name"] for t in server.requests[1].body["tools"]}
    assert {"wiki_ask", "wiki_lookup", "wiki_page"} <= planner_tools
    answer = server.requests[2].body["messages"][-1]
    assert answer["role"] == "tool"
    assert f"function dates.parse  {PARSE}  [page overview]" in answer["content"]
    assert (
        "callers: test_dates.test_parse_splits_a_date (tests/test_dates.py:5-5)"
        in (answer["content"])
    )
    assert "freshness: wiki built outside git" in answer["content"]
    brief = server.requests[3].body["messages"][1]["content"]
    assert the_plan in brief  # the Implementer starts from what the lookup said

    trace = read_trace(outcome.paths.trace)
    (looked,) = [e for e in trace if e["kind"] == "tool.call.finish" and e["name"] == "wiki_lookup"]
    assert looked["is_error"] is False and PARSE in looked["content"]
    (indexed,) = [e for e in trace if e["kind"] == "tool.call.wiki_index"]
    assert indexed["status"] == "unchanged"  # the build's index was current (.tokimon skipped)


def call_tool(toolset: Toolset, tool: str, /, **arguments: Any) -> Any:
    return tiffany.run(toolset.execute, ToolCall("c1", tool, arguments))


def test_the_index_is_made_lazily_once_per_run_and_answers_say_when_stale(
    tmp_path: Path,
) -> None:
    repo = copy_repo(tmp_path)
    toolset = Toolset(repo)
    assert not (repo / ".cocowiki").exists()
    first = call_tool(toolset, "wiki_lookup", name="is_leap")
    assert not first.result.is_error
    assert "dates.py:6-7" in first.result.content
    assert "no pages built" in first.result.content
    assert "index updated for this run" in first.result.content
    dates = repo / "dates.py"
    dates.write_text("\n\n" + dates.read_text())
    second = call_tool(toolset, "wiki_lookup", name="is_leap")  # no second refresh
    assert "for this run" not in second.result.content
    assert "STALE" in second.result.content and second.data["changed_files"] == ["dates.py"]
    start_wiki_run(toolset.tree)
    third = call_tool(toolset, "wiki_lookup", name="is_leap")
    assert "dates.py:8-9" in third.result.content and "STALE" not in third.result.content

    asked = call_tool(toolset, "wiki_ask", question="leap years", limit=2)
    assert "is_leap" in asked.result.content and "dates.py:8-9" in asked.result.content
    missing = call_tool(toolset, "wiki_page", id="overview")
    assert missing.result.is_error and "cw build --repo" in missing.result.content
    unknown = call_tool(toolset, "wiki_lookup", name="parse_date")
    assert unknown.result.is_error and "no symbol 'parse_date'" in unknown.result.content
    bad = call_tool(toolset, "wiki_ask", question="")
    assert bad.result.is_error and "question" in bad.result.content


def test_wiki_pages_are_read_and_listed_and_the_tools_can_be_turned_off(
    tmp_path: Path,
) -> None:
    repo = copy_repo(tmp_path)
    build(repo)
    toolset = Toolset(repo).for_role("Reviewer")
    listed = call_tool(toolset, "wiki_page")
    assert listed.result.content.startswith("- overview: ")
    page = call_tool(toolset, "wiki_page", id="overview")
    assert page.result.content.startswith("# ")
    assert "(freshness: wiki built outside git" in page.result.content
    off = Toolset(repo, ToolConfig(wiki={"enabled": False}))
    assert not {"wiki_ask", "wiki_lookup", "wiki_page"} & set(off.for_role("Planner").names)
