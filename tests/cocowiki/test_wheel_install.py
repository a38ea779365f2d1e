"""cocowiki installed the way users install a tool: the project's wheel in a fresh virtual
environment outside the checkout, with ``node`` on the PATH and no ``node_modules``
anywhere near.

The wheel is built from a copy of the checkout's files (so the checkout is left as it
is), with the checkout's ``node_modules`` lent to the build (no ``npm ci`` over the
network); the copy is deleted before the installed ``cw`` runs, so the only mermaid it
can find is the bundle inside the wheel.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from build_helpers import FIXTURES

from cocowiki.mermaid import MermaidChecker, mermaid_available

ROOT = Path(__file__).resolve().parents[2]
CONFIG = "[index]\nuse_git = false\n[plan]\nmin_tokens = 0\n"
BAD_DIAGRAM = "flowchart LR\n  A --> \n"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(NODE is None and not os.environ.get("CI"), reason="needs node"),
]


@dataclass(frozen=True)
class Installed:
    """A virtual environment with the wheel installed, and where things are."""

    venv: Path
    wheel: Path
    root: Path

    def run(self, *args: str, node: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a program of the venv with node on the PATH or not, and nothing else there."""
        path = [str(self.venv / "bin")] + ([str(Path(NODE).parent)] if node and NODE else [])
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"COCOWIKI_NODE_MODULES", "VIRTUAL_ENV", "PYTHONPATH"}
        }
        env["PATH"] = os.pathsep.join(path)
        return subprocess.run(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def build(self, name: str, *, node: bool = True) -> tuple[Path, str]:
        """``cw build`` of the fixture repository into ``<root>/<name>``: (output, stdout)."""
        output = self.root / name
        output.mkdir()
        (output / "config.toml").write_text(CONFIG)
        done = self.run(
            "cw", "build", "--repo", str(self.root / "repo"), "--output", str(output), node=node
        )
        assert done.returncode == 0, done.stderr
        return output, done.stdout


@pytest.fixture(scope="module", name="installed")
def installed_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("wheel-install")
    source = root / "source"
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    if (ROOT / "node_modules").is_dir():  # else the build runs `npm ci` itself
        (source / "node_modules").symlink_to(ROOT / "node_modules")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "-q", "-w", str(root / "dist"), str(source)],
        check=True,
        capture_output=True,
    )
    shutil.rmtree(source)  # nothing of the checkout, node_modules included, is left near
    (wheel,) = (root / "dist").glob("*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    shutil.copytree(FIXTURES / "python", root / "repo")
    yield Installed(venv, wheel, root)


def test_the_installed_cw_verifies_diagrams_with_node_alone(installed: Installed) -> None:
    where = installed.run(
        "python", "-c", "from cocowiki.mermaid import find_mermaid; print(find_mermaid())"
    )
    assert "bundled=True" in where.stdout and str(installed.venv) in where.stdout
    output, out = installed.build("with-node")
    assert "verified 2, unverified 0; " in out and "diagrams not checked" not in out
    manifest = json.loads((output / "manifest.json").read_text())
    assert {page["status"] for page in manifest["pages"]} == {"verified"}
    assert all(page["counts"]["diagrams"] > 0 for page in manifest["pages"])  # all checked
    viewer = (output / "index.html").read_text()
    assert '"mermaid":{"available":true,"message":null}' in viewer  # drawn, not shown as source
    (browser,) = installed.venv.glob("lib/*/site-packages/cocowiki/js/bundle/mermaid.min.js")
    assert browser.read_text()[1_000_000:1_000_100].replace("<", "\\x3C") in viewer  # inlined
    verify = installed.run(
        "cw", "verify", "--repo", str(installed.root / "repo"), "--output", str(output)
    )
    assert verify.returncode == 0 and "verified: every check holds" in verify.stdout


def test_without_node_the_build_says_so_once(installed: Installed) -> None:
    output, out = installed.build("without-node", node=False)
    lines = [line for line in out.splitlines() if "not checked" in line]
    (reason,) = [line for line in lines if line.startswith("diagrams not checked: ")]
    assert "node (Node.js 20 or later) is not on PATH; install Node.js 20 or later" in reason
    assert "npm ci" not in reason  # the wheel carries mermaid: node is all that is missing
    assert out.count("is not on PATH") == 1  # once per build, not once per diagram or page
    assert "verified 0, unverified 2; " in out
    manifest = json.loads((output / "manifest.json").read_text())
    assert {page["status"] for page in manifest["pages"]} == {"unverified"}


def test_the_bundled_checker_rejects_a_bad_diagram_with_mermaids_message(
    installed: Installed,
) -> None:
    script = (
        "import json; from cocowiki.mermaid import check_diagrams, find_mermaid; "
        f"print(json.dumps([find_mermaid().bundled, check_diagrams([{BAD_DIAGRAM!r}, "
        "'flowchart LR\\n  A --> B\\n'])]))"
    )
    done = installed.run("python", "-c", script)
    assert done.returncode == 0, done.stderr
    bundled, (error, fine) = json.loads(done.stdout)
    assert bundled is True and fine is None
    assert error is not None and error.startswith("Parse error on line ")
    if mermaid_available():  # the checkout's mermaid, from node_modules, says the same
        with MermaidChecker() as checker:
            assert checker.check_one(BAD_DIAGRAM) == error


LIBRARY_SCRIPT = """
import json, sys
from pathlib import Path

import cocowiki
import tokimon

wiki = cocowiki.build("repo", "library-wiki")
answer = cocowiki.ask(wiki.output, "area of a shape")
turns = [
    {"text": json.dumps({"steps": [{"id": "fix", "role": "Implementer",
                                    "inputs": {"task": "Fix dates.parse."}}]})},
    {"tool_calls": [{"name": "read_file", "arguments": {"path": "dates.py"}}]},
    {"tool_calls": [{"name": "apply_patch", "arguments": {"patch": sys.argv[1]}}]},
    {"text": json.dumps({"status": "succeeded", "summary": "months have their lengths"})},
]
Path("turns.jsonl").write_text("".join(json.dumps(turn) + "\\n" for turn in turns))
run = tokimon.run("fix dates.parse", "dates_repo", model="scripted:turns.jsonl")
print(json.dumps({
    "pages": wiki.pages, "verified": wiki.verified, "built_from": wiki.built_from,
    "evidence": [item.citation for item in answer.evidence],
    "run": tokimon.to_json(run),
}))
"""


def test_the_installed_libraries_build_ask_and_run_an_agent(installed: Installed) -> None:
    """The issue's "done": from the installed wheel (not editable), a script that uses only
    documented names builds a wiki of another repository, asks it, and runs the agent."""
    agent_repo = ROOT / "tests" / "tokimon" / "fixtures_agent" / "dates_repo"
    shutil.copytree(agent_repo, installed.root / "dates_repo", dirs_exist_ok=True)
    (installed.root / "library.py").write_text(LIBRARY_SCRIPT)
    spec = importlib.util.spec_from_file_location(
        "agent_fixtures", ROOT / "tests" / "tokimon" / "agent_fixtures.py"
    )
    assert spec is not None and spec.loader is not None
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    done = installed.run("python", "library.py", fixtures.FIX_PATCH)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["pages"] >= 1 and found["verified"] == found["pages"]
    assert found["built_from"] == (installed.root / "repo").resolve().as_posix()
    assert found["evidence"] and all(":" in citation for citation in found["evidence"])
    assert found["run"]["status"] == "succeeded", found["run"]
    assert found["run"]["changed_files"] == ["dates.py"]
    assert "last = DAYS_IN_MONTH" in (installed.root / "dates_repo" / "dates.py").read_text()
