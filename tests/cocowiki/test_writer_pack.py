"""The model writer's prompt and order, through the scripted OpenAI-compatible server over
real HTTP with the official SDK: what the model is shown, and when.

The helpers here (a scripted model that answers each page by the module marked in its
prompt, and a build with it) are shared by the other ``test_writer_*`` modules.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from build_helpers import SMALL_PAGES, checker_fixture, needs_mermaid  # noqa: F401
from test_incremental import make_shop

from cocowiki.config import WriterConfig
from cocowiki.index import index_repository
from cocowiki.mermaid import MermaidChecker
from cocowiki.pages import BuildConfig, BuildResult, build_wiki
from cocowiki.pages.dossier import build_dossier
from cocowiki.pages.entrypoints import find_entry_points
from cocowiki.pages.facts import RepositoryFacts
from cocowiki.pages.sourcepack import build_source_pack
from cocowiki.pages.writerrun import RunLimits
from cocowiki.plan import plan_modules
from tiffany.models.testing import ScriptedServer

pytestmark = needs_mermaid

KEY = "sk-test-writer-0123456789abcdef"
MODEL = "openai:page-model"
#: The shop's pages (SMALL_PAGES: every directory its own page), leaves then the root.
LEAVES = ["report", "shop", "util"]


def marker(module_id: str) -> str:
    """What the pack of ``module_id`` says to mark it in the module tree."""
    where = "" if module_id == "overview" else f" ({module_id})"
    return f"[id {module_id}]{where}  <- this page"


def guide(module_id: str, summary: str | None = None) -> str:
    """A page as a good model writes it: cited prose, a diagram, a delimited summary."""
    return (
        f"# {module_id}\n\n## Introduction\n\nThe {module_id} module `app.py:1-1`.\n\n"
        "## Architecture\n\n```mermaid\nflowchart LR\n  caller --> callee\n```\n\n"
        f"## Summary\n\n<!-- cw:summary -->\n{summary or 'Summary of ' + module_id}\n"
        "<!-- /cw:summary -->\n"
    )


def answers(pages: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One repeating answer per page, chosen by the module its prompt marks."""
    pages = pages or {}
    return [
        {"match": {"contains": marker(m)}, "text": pages.get(m, guide(m)), "repeat": True}
        for m in [*LEAVES, "overview"]
    ]


def model_config(**limits: Any) -> BuildConfig:
    return dataclasses.replace(
        SMALL_PAGES, writer=WriterConfig(model=MODEL), limits=RunLimits(**limits)
    )


@pytest.fixture(name="model_env")
def model_env_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    yield


def serve(server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def build_with_model(
    repo: Path,
    output: Path,
    checker: MermaidChecker,
    config: BuildConfig | None = None,
) -> BuildResult:
    return build_wiki(repo, output, config or model_config(), diagram_checker=checker.check)


def build_scripted(
    repo: Path,
    output: Path,
    checker: MermaidChecker,
    monkeypatch: pytest.MonkeyPatch,
    script: list[dict[str, Any]],
    config: BuildConfig | None = None,
) -> tuple[ScriptedServer, BuildResult]:
    """Build with the model played by a :class:`ScriptedServer` answering ``script``.

    A model build of these tests starts a server, points the environment at it and
    builds with :func:`build_with_model`; one place does it, so that every test does it
    alike. The server is returned stopped, its requests kept for the test to read.
    """
    with ScriptedServer(script) as server:
        serve(server, monkeypatch)
        result = build_with_model(repo, output, checker, config)
    return server, result


def written_shop(
    tmp_path: Path,
    checker: MermaidChecker,
    monkeypatch: pytest.MonkeyPatch,
    script: list[dict[str, Any]],
) -> tuple[Path, Path]:
    """The shop written by the scripted model, a page at a time: (repo, output)."""
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    build_scripted(repo, output, checker, monkeypatch, script, model_config(jobs=1))
    return repo, output


def page_of(request_body: dict[str, Any]) -> str:
    """Which page a request is about (the module its pack marks)."""
    pack = request_body["messages"][1]["content"]
    for module_id in [*LEAVES, "overview"]:
        if marker(module_id) in pack:
            return module_id
    raise AssertionError("the request's pack marks no module")


def asked(server: ScriptedServer) -> list[str]:
    return [page_of(body) for body in server.bodies()]


def test_the_prompt_holds_the_tree_and_every_file_numbered_and_grouped_by_file(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    server, _ = build_scripted(repo, tmp_path / "out", checker, monkeypatch, answers())
    [shop] = [body for body in server.bodies() if page_of(body) == "shop"]
    system, pack = shop["messages"][0]["content"], shop["messages"][1]["content"]
    assert "## Key types and functions" in system and "<!-- cw:summary -->" in system
    assert pack.startswith("# Module tree\n\n- repo [id overview]\n  - report [id report]")
    assert "  - shop [id shop] (shop)  <- this page\n" in pack
    orders = pack.index("# File: shop/orders.py\n")
    pricing = pack.index("# File: shop/pricing.py\n")
    assert orders < pricing < pack.index("# Facts from the index")
    block = pack[orders:pricing]
    assert "## Core components in this file\n" in block
    assert "- shop/orders.py#Order (class, lines 6-14)\n" in block
    assert '## File content\n 1 | """Orders: lines of amounts."""\n' in block
    assert " 6 | class Order:\n" in block and "14 |         return sum(" in block
    assert "## Public API\n" in pack and "- shop/pricing.py#price\n" in pack
    assert "## References in (used by)\n- repo: " in pack
    tools = {tool["function"]["name"]: tool["function"] for tool in shop["tools"]}
    assert list(tools) == [
        "read_code_components",
        "read_file",
        "generate_sub_module_documentation",
    ]
    sub = tools["generate_sub_module_documentation"]["parameters"]
    assert sub["required"] == ["name", "component_ids"]
    assert sub["properties"]["component_ids"]["type"] == "array"
    assert "Mermaid 11 traps to avoid" in system and "never `--`" in system


def test_leaves_are_written_first_and_a_parent_is_shown_its_childrens_summaries(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    script = answers({"util": guide("util", "Clamps and slugs.")})
    server, result = build_scripted(
        repo, output, checker, monkeypatch, script, model_config(jobs=1)
    )
    order = asked(server)
    assert sorted(order[:3]) == LEAVES and order[3] == "overview"
    overview = server.bodies()[3]["messages"][1]["content"]
    assert "# Sub-pages (already written)\n" in overview
    assert "- [util](util.md): Clamps and slugs.\n" in overview
    assert "- [shop](shop.md): Summary of shop\n" in overview

    page = (output / "pages" / "util.md").read_text()
    assert page.startswith("# util\n\n## Introduction\n")
    assert "## Evidence map" in page  # appended by cocowiki, after the model's page
    assert page.index("<!-- /cw:summary -->") < page.index("## Evidence map")
    manifest = json.loads((output / "manifest.json").read_text())
    writer = {entry["id"]: entry["writer"] for entry in manifest["pages"]}
    assert writer["util"]["model"] == MODEL and writer["util"]["calls"] == 1
    assert writer["util"]["input_tokens"] > 0 and writer["util"]["verification"] == "verified"
    totals = result.summary()["model"]
    assert totals["calls"] == 4 and totals["pages"]["written"] == 4
    assert totals["pages"]["calls"] == 4 and totals["pages_pending"] == []


def test_a_pack_over_budget_keeps_the_most_central_file_whole_and_outlines_the_rest(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    config = dataclasses.replace(model_config(), writer=WriterConfig(model=MODEL, pack_tokens=380))
    server, _ = build_scripted(repo, tmp_path / "out", checker, monkeypatch, answers(), config)
    [shop] = [body for body in server.bodies() if page_of(body) == "shop"]
    pack = shop["messages"][1]["content"]
    # orders.py is used from app.py, pricing.py only from orders.py: orders.py goes in
    # full, and what does not fit then is outlined as signatures and docs.
    assert "# File: shop/orders.py\n\n## Core components in this file\n" in pack
    assert "14 |         return sum(price(amount) for amount in self.amounts)\n" in pack
    pricing = pack[pack.index("# File: shop/pricing.py") : pack.index("# Facts from the index")]
    assert "## File outline (not shown in full: read it with read_file" in pricing
    assert "- `def price(amount: int) -> int` (lines 6-8): Twice the amount" in pricing
    assert "## File content" not in pricing
    # the least central file, whose outline no longer fits, is only listed by path
    assert "# File: shop/__init__.py" not in pack
    assert pricing.endswith(
        "# Files not shown (read them with read_file or read_code_components)\n\n"
        "- shop/__init__.py\n\n"
    )


def test_a_pack_keeps_to_its_budget_when_even_the_outlines_do_not_fit(tmp_path: Path) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    index = index_repository(repo, output, SMALL_PAGES.index)
    tree = plan_modules(index, SMALL_PAGES.plan)
    facts = RepositoryFacts.build(repo, output, index, tree)
    dossier = build_dossier(facts, tree["shop"], find_entry_points(facts))
    whole = build_source_pack(facts, tree["shop"], dossier, {}, 10_000)
    assert whole.full_files == ("shop/orders.py", "shop/pricing.py", "shop/__init__.py")
    assert whole.outlined_files == whole.listed_files == ()
    # past the outlines, files are listed by path (room is kept for the list)
    listed = build_source_pack(facts, tree["shop"], dossier, {}, 300)
    assert listed.full_files == ("shop/orders.py",) and listed.outlined_files == ()
    assert listed.listed_files == ("shop/pricing.py", "shop/__init__.py")
    assert "\n- shop/pricing.py\n- shop/__init__.py\n" in listed.text
    for pack, budget in ((listed, 300), (whole, 10_000)):
        assert pack.tokens <= budget
    # a budget the tree and the facts alone fill: every file counted, none shown
    tight = build_source_pack(facts, tree["shop"], dossier, {}, 120)
    assert tight.full_files == tight.outlined_files == () and len(tight.listed_files) == 3
    assert "- and 3 more files of this module\n" in tight.text


def test_keys_come_from_the_environment_and_are_written_nowhere(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    server, _ = build_scripted(repo, output, checker, monkeypatch, answers())
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    leaked = [
        path for path in output.rglob("*") if path.is_file() and KEY.encode() in path.read_bytes()
    ]
    assert leaked == []
    assert (output / "model" / "responses").is_dir()  # the response cache, redacted


def test_cw_build_model_on_the_command_line(tmp_path: Path) -> None:
    repo = make_shop(tmp_path)
    with ScriptedServer(answers()) as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": KEY}
        done = subprocess.run(
            [sys.executable, "-m", "cocowiki.cli", "build", "--model", MODEL, "--json"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        model = summary["model"]  # the shop is one page at the default page size
        assert model["spec"] == MODEL and model["calls"] == summary["pages"] == 1
        assert KEY not in done.stdout + done.stderr

        bad = subprocess.run(
            [sys.executable, "-m", "cocowiki.cli", "build", "--model", MODEL, "--jobs", "0"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    assert bad.returncode == 2 and "--jobs must be at least 1, not 0" in bad.stderr
    assert len(server.requests) == 1
