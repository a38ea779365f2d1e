"""How fast cocowiki indexes, plans, builds, rebuilds and answers on real repositories.

    python bench/cocowiki/wiki_speed.py                       # small, medium, large
    python bench/cocowiki/wiki_speed.py --sizes small,medium --workers 0

The repositories are sources of published packages, fetched by this script (never by the
tests) with the registries' own clients and cached in ``~/.cache/cocowiki-bench``:

* small (~18k lines): click 8.1.7 (Python), from PyPI;
* medium (~100k lines): cryptography 41.0.7 (Python, Rust, a little Go and Java) from
  PyPI and rxjs 7.8.1 (TypeScript) from npm, side by side in one tree;
* large (~500k lines): Django 5.1.4 (Python, JavaScript) and rxjs 7.8.1.

Each stage runs in a subprocess of its own, so its memory is its own:

* ``index``: ``index_repository`` into a fresh output directory (``--workers``, default 1,
  so that lines/s per core is measured on one parser);
* ``plan``: ``read_index`` of that catalog, ``plan_with_report``, ``write_module_tree``;
* ``wc`` and ``ast``, the floors the index is compared with: ``wc -l`` over every file the
  index took (reading the tree and counting its lines), and CPython's own parser
  (``ast.parse``, no tree-sitter) over its Python files, in one process;
* ``build``: ``build_wiki`` from nothing into a fresh output directory, the whole
  ``cw build`` (index with the default automatic workers, plan, pages, verification,
  manifest, viewer), on a working copy of the tree (hard links), made first and left to
  settle for :data:`SETTLE_SECONDS` before the build: linking a file changes its ctime,
  and the index reads again a file changed within 3 s of its last read (racy git), as a
  user's settled files are not; without the wait every file would be read again in the
  rerun and the edit;
* ``rerun``: the same build again over that output, nothing changed (issue 6);
* ``ask``: ``cocowiki.ask.ask`` over the built wiki, a few questions in one process
  (generic ones and the names of the classes referenced most), each timed on its own;
* ``verify``: ``cocowiki.verify.command.run_verify_command`` (``cw verify --json``) when that
  module exists, else a note;
* ``edit``: one line inside one Python function of one file of the working copy changed
  (a comment appended to its last ``return``), then the build again (issue 6).

While a stage runs, this process samples ``/proc`` every 50 ms for the stage's process
tree (parser workers and the mermaid node process included): the peak of the summed
resident memory, and the CPU seconds of every process in it. ``secs`` is the stage's own
time (its modules are imported before its clock starts), ``wall`` the child process's
(with interpreter start-up and imports, what a command line costs); ``lines/s/core`` is
lines per CPU second of the stage and ``cores`` CPU seconds over ``secs``. Rerun, edit and
verify are compared with the full build by ``secs``. Other work on the machine shows in
``cores`` below 1 and in the load averages printed at the end.

It measures the ``cocowiki`` that ``python`` imports, and says which. To measure a fixed
snapshot of the sources while they change, put it first on ``PYTHONPATH`` (and point
``COCOWIKI_NODE_MODULES`` at a ``node_modules`` with mermaid, or diagrams go unchecked).

Goals (issues 5 and 6; the build, edit and ask goals are stated for the 500,000-line
repository, and are checked on every size): indexing at least 20,000 lines per second per
core; ``cw build`` from nothing under 2 minutes (wall) within 2 GiB; a clean rerun under
3% of the full build; a one-line edit rebuild under 5%; ``cw ask`` under 200 ms (median);
``cw verify`` faster than the build. Measured numbers and where the time goes:
``docs/cocowiki/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import io
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE = Path.home() / ".cache" / "cocowiki-bench"
CATALOG = "catalog.sqlite"  # the index's catalog in an output directory
SAMPLE_SECONDS = 0.05
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
EDIT_MARK = "  # edited by wiki_speed.py"
GENERIC_QUESTIONS = (
    "how are errors handled",
    "where is the configuration read",
    "what is the entry point",
)
SYMBOL_QUESTIONS = 2


@dataclass(frozen=True)
class Package:
    registry: str  # "pypi" or "npm"
    name: str
    version: str

    @property
    def label(self) -> str:
        return f"{self.name}-{self.version}"


CLICK = Package("pypi", "click", "8.1.7")
CRYPTOGRAPHY = Package("pypi", "cryptography", "41.0.7")
RXJS = Package("npm", "rxjs", "7.8.1")
DJANGO = Package("pypi", "Django", "5.1.4")
SIZES: dict[str, tuple[Package, ...]] = {
    "small": (CLICK,),
    "medium": (CRYPTOGRAPHY, RXJS),
    "large": (DJANGO, RXJS),
}
#: Stages in the order they run; each needs the ones before it that it reads.
#: How long the working copy is left before the build (the index's racy window, 3 s,
#: and a margin), so that its files are as settled as a user's.
SETTLE_SECONDS = 3.5
STAGES = ("index", "plan", "wc", "ast", "build", "rerun", "ask", "verify", "edit")
#: What each stage needs run before it (on the same output).
NEEDS = {"plan": "index", "wc": "index", "ast": "index", "rerun": "build", "ask": "build"}
NEEDS |= {"verify": "build", "edit": "build"}
#: Stages over the working copy and the wiki built from it (the others read the index).
ON_BUILT = frozenset({"build", "rerun", "ask", "verify", "edit"})
#: The child-side stage each stage runs (rerun and edit are builds).
CHILD_STAGE = {"rerun": "build", "edit": "build"}


def fetch(package: Package, cache: Path) -> Path:
    """The unpacked source of ``package``, downloaded once with pip or npm."""
    unpacked = cache / "src" / package.label
    if (cache / "src" / f"{package.label}.done").exists():
        return unpacked
    downloads = cache / "downloads" / package.label
    downloads.mkdir(parents=True, exist_ok=True)
    if not any(downloads.iterdir()):
        print(f"fetching {package.label} from {package.registry}", file=sys.stderr)
        if package.registry == "pypi":
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
            command += ["--no-binary", package.name, "-d", str(downloads)]
            command.append(f"{package.name}=={package.version}")
        else:
            command = ["npm", "pack", "--silent", f"{package.name}@{package.version}"]
            command += ["--pack-destination", str(downloads)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    (archive,) = sorted(downloads.iterdir())
    shutil.rmtree(unpacked, ignore_errors=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch, tarfile.open(archive) as tar:
        tar.extractall(scratch, filter="data")
        (top,) = Path(scratch).iterdir()  # sdists hold NAME-VERSION/, npm tarballs package/
        unpacked.parent.mkdir(parents=True, exist_ok=True)
        top.rename(unpacked)
    (cache / "src" / f"{package.label}.done").touch()
    return unpacked


def assemble(size: str, cache: Path) -> Path:
    """A tree of the size's packages side by side (hard links into the unpacked sources)."""
    tree = cache / "trees" / size
    done = cache / "trees" / f"{size}.done"
    if done.exists():
        return tree
    shutil.rmtree(tree, ignore_errors=True)
    for package in SIZES[size]:
        shutil.copytree(fetch(package, cache), tree / package.label, copy_function=os.link)
    done.touch()
    return tree


# -- what the stages read from a catalog ---------------------------------------------------


def catalog_rows(output: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query over the catalog of ``output``, read-only and with no cocowiki import
    (so that reading it costs the floors next to nothing)."""
    connection = sqlite3.connect(f"file:{output / CATALOG}?mode=ro", uri=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def edit_one_line(repo: Path, output: Path) -> str:
    """Append a comment to the last ``return`` of one Python function in the working copy
    ``repo`` (breaking its hard link first); returns ``path:line`` of the edit.

    The function is the middle one, by path and line, of the functions and methods of at
    least four lines that end in a ``return``: a typical file, deterministically.
    """
    rows = catalog_rows(
        output,
        "SELECT path, end_line FROM components WHERE language = 'python' "
        "AND kind IN ('function', 'method') AND end_line - start_line >= 3 "
        "ORDER BY path, start_line",
    )
    texts: dict[str, list[str]] = {}
    candidates = []
    for path, end_line in rows:
        if path not in texts:
            texts[path] = (repo / path).read_text(encoding="utf-8").splitlines(keepends=True)
        if texts[path][end_line - 1].lstrip().startswith("return "):
            candidates.append((path, end_line))
    if not candidates:
        raise SystemExit(f"edit: no Python function ending in a return in {repo}")
    path, end_line = candidates[len(candidates) // 2]
    lines = texts[path]
    code = lines[end_line - 1].rstrip("\r\n")
    lines[end_line - 1] = code + EDIT_MARK + lines[end_line - 1][len(code) :]
    target = repo / path
    target.unlink()  # a hard link into the cached sources: write a file of our own
    target.write_text("".join(lines), encoding="utf-8")
    return f"{path}:{end_line}"


def questions(output: Path) -> list[str]:
    """Generic questions, and the names of the classes referenced most, asked about."""
    names = catalog_rows(
        output,
        "SELECT c.name FROM refs r JOIN components c ON c.id = r.target_id "
        "WHERE c.kind = 'class' GROUP BY c.id ORDER BY count(*) DESC, c.name "
        f"LIMIT {SYMBOL_QUESTIONS}",
    )
    return [*GENERIC_QUESTIONS, *(f"how is {name} used" for (name,) in names)]


# -- one stage, in a child process -------------------------------------------------------


def run_stage(stage: str, repo: Path, output: Path, workers: int) -> dict[str, Any]:
    """Run ``stage`` here and return its numbers (this is the child side).

    The stage's modules are imported before its clock starts: ``secs`` is the work, and
    ``wall`` (measured by the parent) what a command line would cost with start-up.
    """
    for module in STAGE_IMPORTS.get(stage, ()):
        importlib.import_module(module)
    started = time.perf_counter()
    startup_cpu = _own_cpu()
    numbers = CHILD_STAGES[stage](repo, output, workers)
    numbers["seconds"] = time.perf_counter() - started
    numbers["startup_cpu"] = startup_cpu
    numbers["own_cpu"] = _own_cpu()
    numbers["self_maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return numbers


def _index(repo: Path, output: Path, workers: int) -> dict[str, Any]:
    from cocowiki.index import IndexConfig, index_repository

    result = index_repository(repo, output, IndexConfig(use_git=False, workers=workers))
    return {"files": len(result.files), "lines": result.lines, "phases": result.timings}


def _plan(repo: Path, output: Path, workers: int) -> dict[str, Any]:
    from cocowiki.index import read_index
    from cocowiki.plan import plan_with_report, write_module_tree

    started = time.perf_counter()
    index = read_index(output)
    loaded = time.perf_counter()
    tree, report = plan_with_report(index)
    write_module_tree(output, tree)
    return {
        "files": len(index.files),
        "lines": index.lines,
        "phases": {"read_index": loaded - started, "plan": time.perf_counter() - loaded},
        "detail": (
            f"{len(tree)} pages, depth {tree.depth()}, largest "
            f"{max(m.tokens for m in tree)} tokens, merged {report.merged}, "
            f"split {report.split} into {report.parts}"
        ),
    }


def _wc(repo: Path, output: Path, workers: int) -> dict[str, Any]:
    files = catalog_rows(output, "SELECT path, lines FROM files ORDER BY ordinal")
    listing = b"\0".join(os.fsencode(repo / path) for path, _ in files)
    counted = subprocess.run(
        ["xargs", "-0", "wc", "-l"], input=listing, capture_output=True, check=True
    ).stdout.splitlines()
    total = sum(int(line.split()[0]) for line in counted if not line.endswith(b" total"))
    numbers = {"files": len(files), "lines": sum(n for _, n in files), "detail": f"wc {total}"}
    return numbers | {"cpu_sampled": False}  # wc often ends between two samples


def _ast(repo: Path, output: Path, workers: int) -> dict[str, Any]:
    files = catalog_rows(
        output, "SELECT path, lines FROM files WHERE language = 'python' ORDER BY ordinal"
    )
    failed = 0
    for path, _ in files:
        try:
            ast.parse((repo / path).read_bytes(), path)
        except (SyntaxError, ValueError):
            failed += 1
    detail = f"{len(files)} Python files, {failed} not parsed"
    return {"files": len(files), "lines": sum(n for _, n in files), "detail": detail}


def _build(repo: Path, output: Path, workers: int) -> dict[str, Any]:
    from cocowiki.index import IndexConfig
    from cocowiki.pages import BuildConfig, build_wiki

    summary = build_wiki(repo, output, BuildConfig(index=IndexConfig(use_git=False))).summary()
    detail = (
        f"{summary['pages']} pages ({summary['pages_written']} written), "
        f"{summary['artifacts_written']} artifacts written, catalog "
        f"{'written' if summary['catalog_written'] else 'unchanged'}, "
        f"{summary['verified']} verified, {summary['citations']} citations, "
        f"{summary['diagrams']} diagrams"
    )
    unverified = summary["unverified_pages"]
    if unverified:
        first = min(unverified)
        problems = sum(len(found) for found in unverified.values())
        detail += (
            f"; {problems} problems on {len(unverified)} unverified pages, "
            f"first: {first}: {unverified[first][0]}"
        )
    phases = summary["timings"]
    return {
        "files": summary["files"],
        "lines": summary["lines"],
        "phases": phases,
        "detail": detail,
    }


def _ask(repo: Path, output: Path, workers: int) -> dict[str, Any]:
    from cocowiki.ask import ask

    asked = questions(output)
    seconds, found = [], 0
    for question in asked:
        started = time.perf_counter()
        answer = ask(repo, output, question)
        seconds.append(time.perf_counter() - started)
        found += bool(answer.evidence)
    detail = (
        f"{len(asked)} questions ({', '.join(repr(q) for q in asked)}), {found} with "
        f"evidence; ms each: {', '.join(f'{s * 1000:.0f}' for s in seconds)}"
    )
    return {"median": statistics.median(seconds), "max": max(seconds), "detail": detail}


def _verify(repo: Path, output: Path, workers: int) -> dict[str, Any]:
    from cocowiki.index import IndexConfig

    verify = importlib.import_module("cocowiki.verify.command")
    out, err = io.StringIO(), io.StringIO()
    status = verify.run_verify_command(
        repo, output, as_json=True, index_config=IndexConfig(use_git=False), stdout=out, stderr=err
    )
    try:
        report = json.loads(out.getvalue().strip().splitlines()[-1])
        checks = ", ".join(
            f"{kind} {tally['checked']} ({tally['failed']} failed)"
            for kind, tally in report["checks"].items()
        )
        detail = f"exit {status}, {report['pages']} pages; {checks}"
        phases = report["timings"]
    except (IndexError, ValueError, KeyError, TypeError):
        detail, phases = f"exit {status}: {(out.getvalue() + err.getvalue()).strip()[:300]}", {}
    return {"detail": detail, "phases": phases}


#: What each stage imports (before its clock starts; the stages import lazily).
STAGE_IMPORTS = {
    "index": ("cocowiki.index",),
    "plan": ("cocowiki.index", "cocowiki.plan"),
    "build": ("cocowiki.pages", "cocowiki.index", "cocowiki.viewer"),
    "ask": ("cocowiki.ask",),
    "verify": ("cocowiki.index", "cocowiki.verify"),
}
CHILD_STAGES: dict[str, Callable[[Path, Path, int], dict[str, Any]]] = {
    "index": _index,
    "plan": _plan,
    "wc": _wc,
    "ast": _ast,
    "build": _build,
    "ask": _ask,
    "verify": _verify,
}


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- measuring a child's process tree ------------------------------------------------------


@dataclass
class TreeSample:
    """Peak summed RSS and the last CPU time seen of each process of a tree."""

    peak_bytes: int = 0
    cpu_ticks: dict[int, int] = field(default_factory=dict)

    def sample(self, root: int) -> None:
        total = 0
        for pid in _descendants(root):
            stat = _stat(pid)
            if stat is None:
                continue
            ticks, rss_pages = stat
            self.cpu_ticks[pid] = max(ticks, self.cpu_ticks.get(pid, 0))
            total += rss_pages * PAGE_BYTES
        self.peak_bytes = max(self.peak_bytes, total)

    def cpu_seconds(self, root: int, root_cpu: float) -> float:
        """CPU seconds of the tree, with ``root_cpu`` (exact, from the root itself) for it."""
        others = sum(ticks for pid, ticks in self.cpu_ticks.items() if pid != root)
        return others / CLOCK_TICKS + max(root_cpu, self.cpu_ticks.get(root, 0) / CLOCK_TICKS)


def _descendants(root: int) -> list[int]:
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            except OSError:
                continue
            stack.extend(int(child) for child in children)
    return found


def _stat(pid: int) -> tuple[int, int] | None:
    """``(utime + stime in ticks, resident pages)`` from ``/proc/PID/stat``."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12]), int(fields[21])


def measure(stage: str, repo: Path, output: Path, workers: int) -> dict[str, Any]:
    """Run one stage in a child process, sampling its process tree until it exits."""
    command = [sys.executable, __file__, "--stage", CHILD_STAGE.get(stage, stage)]
    command += ["--repo", str(repo), "--output", str(output), "--workers", str(workers)]
    return measure_command(command, f"{stage} failed on {repo}")


def measure_command(command: list[str], failure: str) -> dict[str, Any]:
    """Run ``command`` (a child that prints its numbers, as :func:`run_stage` makes them,
    as its last line of JSON), sampling its process tree until it exits."""
    tree = TreeSample()
    with tempfile.TemporaryFile("w+") as stdout:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=stdout, text=True)
        while child.poll() is None:
            tree.sample(child.pid)
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - started
        stdout.seek(0)
        lines = stdout.read().strip().splitlines()
    if child.returncode != 0 or not lines:
        raise SystemExit(f"{failure} (exit {child.returncode})")
    numbers: dict[str, Any] = json.loads(lines[-1])
    numbers["wall"] = wall
    # CPU of the stage itself: the tree's, less the interpreter's start-up and imports
    cpu = tree.cpu_seconds(child.pid, numbers["own_cpu"]) - numbers["startup_cpu"]
    numbers["cpu_seconds"] = cpu
    numbers["peak_mib"] = max(tree.peak_bytes / 2**20, numbers["self_maxrss_mib"])
    return numbers


# -- the report --------------------------------------------------------------------------

HEADER = (
    f"{'repo':<7} {'stage':<6} {'files':>6} {'lines':>8} {'secs':>7} {'wall':>7} "
    f"{'files/s':>8} {'lines/s':>9} {'cores':>5} {'lines/s/core':>12} {'peak MiB':>8}  compared"
)


def row(size: str, stage: str, numbers: dict[str, Any], compared: str) -> str:
    """One line of the table; rates only for stages that went over the files."""
    seconds = numbers["seconds"]
    rates = ["-", "-", "-", "-", "-", "-"]
    if "lines" in numbers and seconds:
        cpu = numbers["cpu_seconds"]
        rates = [
            f"{numbers['files']}",
            f"{numbers['lines']}",
            f"{numbers['files'] / seconds:,.0f}",
            f"{numbers['lines'] / seconds:,.0f}",
            f"{cpu / seconds:.2f}",
            f"{numbers['lines'] / cpu:,.0f}" if cpu > 0 else "-",
        ]
        if not numbers.get("cpu_sampled", True):
            rates[4:] = ["-", "-"]
    files, lines, files_rate, lines_rate, cores, per_core = rates
    return (
        f"{size:<7} {stage:<6} {files:>6} {lines:>8} {seconds:>7.2f} {numbers['wall']:>7.2f} "
        f"{files_rate:>8} {lines_rate:>9} {cores:>5} {per_core:>12} "
        f"{numbers['peak_mib']:>8.0f}  {compared}"
    ).rstrip()


def lines_per_core(numbers: dict[str, Any]) -> float:
    """Lines over the CPU seconds of the stage's whole process tree."""
    cpu: float = numbers["cpu_seconds"]
    return float(numbers["lines"]) / cpu if cpu > 0 else float("inf")


def comparison(stage: str, done: dict[str, dict[str, Any]]) -> str:
    """How ``stage`` compares with its peers measured in the same run."""
    numbers, index, build = done[stage], done.get("index"), done.get("build")
    if stage == "wc" and index:
        return f"index takes {index['seconds'] / numbers['seconds']:.1f}x its time"
    if stage == "ast" and index:
        return f"index at {lines_per_core(index) / lines_per_core(numbers):.2f}x its lines/s/core"
    if stage == "build" and "wc" in done:
        return f"{numbers['seconds'] / done['wc']['seconds']:.0f}x wc time"
    if stage in ("rerun", "edit", "verify") and build:
        return f"{numbers['seconds'] / build['seconds']:.1%} of build"
    if stage == "ask":
        return f"median {numbers['median'] * 1000:.0f} ms, max {numbers['max'] * 1000:.0f} ms"
    return ""


@dataclass(frozen=True)
class Goal:
    """One goal of the issues: what is measured, the bound, and the stages it needs."""

    name: str
    needs: tuple[str, ...]
    value: Callable[[dict[str, dict[str, Any]]], float]
    bound: float
    at_least: bool = False
    unit: str = ""

    def check(self, done: dict[str, dict[str, Any]]) -> str | None:
        if any(stage not in done for stage in self.needs):
            return None
        value = self.value(done)
        ok = value >= self.bound if self.at_least else value < self.bound
        relation = ">=" if self.at_least else "<"
        return (
            f"{'PASS' if ok else 'FAIL'}  {self.name}: {value:,.{self.digits}f}{self.unit} "
            f"{relation} {self.bound:,.{self.digits}f}{self.unit}"
        )

    @property
    def digits(self) -> int:
        return 1 if self.unit in ("%", " s") else 0


def _ratio(stage: str) -> Callable[[dict[str, dict[str, Any]]], float]:
    def value(done: dict[str, dict[str, Any]]) -> float:
        return 100 * float(done[stage]["seconds"]) / float(done["build"]["seconds"])

    return value


GOALS = (
    Goal("index lines/s/core", ("index",), lambda d: lines_per_core(d["index"]), 20_000, True),
    Goal("build wall", ("build",), lambda d: float(d["build"]["wall"]), 120.0, unit=" s"),
    Goal(
        "build peak memory", ("build",), lambda d: float(d["build"]["peak_mib"]), 2048, unit=" MiB"
    ),
    Goal("clean rerun / build", ("build", "rerun"), _ratio("rerun"), 3.0, unit="%"),
    Goal("one-line edit / build", ("build", "edit"), _ratio("edit"), 5.0, unit="%"),
    Goal("ask median", ("ask",), lambda d: 1000 * float(d["ask"]["median"]), 200, unit=" ms"),
    Goal("verify / build", ("build", "verify"), _ratio("verify"), 100.0, unit="%"),
)


def bench(sizes: list[str], stages: list[str], cache: Path, workers: int) -> None:
    """Every stage on every size, each size in a scratch folder of its own; the table as it
    goes, then the details, the goals and what was measured."""
    trees = {size: assemble(size, cache) for size in sizes}
    has_verify = importlib.util.find_spec("cocowiki.verify") is not None
    load_before = os.getloadavg()
    print(HEADER)
    details: list[str] = []
    goals: list[str] = []
    for size in sizes:
        done: dict[str, dict[str, Any]] = {}
        with tempfile.TemporaryDirectory(dir=cache, prefix=f"run-{size}-") as scratch:
            indexed, built = Path(scratch) / "indexed", Path(scratch) / "built"
            copy = Path(scratch) / "tree"
            if "build" in stages:
                shutil.copytree(trees[size], copy, copy_function=os.link)
            copied = time.time()
            for stage in stages:
                if stage == "build":  # settle the copy (not timed)
                    time.sleep(max(0.0, copied + SETTLE_SECONDS - time.time()))
                if stage == "verify" and not has_verify:
                    details.append(f"{size} verify: skipped, cocowiki.verify is not importable")
                    continue
                repo, output = (copy, built) if stage in ON_BUILT else (trees[size], indexed)
                if stage == "edit":
                    details.append(f"{size} edit: {edit_one_line(copy, built)}")
                numbers = done[stage] = measure(stage, repo, output, workers)
                print(row(size, stage, numbers, comparison(stage, done)), flush=True)
                phases = ", ".join(
                    f"{k} {v:.2f}s" for k, v in sorted(numbers.get("phases", {}).items())
                )
                extra = "; ".join(part for part in (phases, numbers.get("detail", "")) if part)
                details.append(f"{size} {stage}: {extra}")
        goals += [f"{size:<7} {found}" for goal in GOALS if (found := goal.check(done))]
    print()
    print("\n".join(details))
    print()
    print("goals (build, edit and ask are stated for the 500,000-line repository):")
    print("\n".join(goals))
    load_after = os.getloadavg()
    print(
        f"\nmachine: {os.cpu_count()} cores; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after; index stage workers={workers} (0 = automatic), "
        "build stages automatic"
    )
    print(measured_code())


def measured_code() -> str:
    """Which cocowiki was measured: where it was imported from, its git revision and
    whether its sources differ from it, and whether diagrams could be checked (they are
    most of a cold build's time)."""
    import cocowiki
    from cocowiki.mermaid import mermaid_available

    package = Path(cocowiki.__file__).parent
    git = ["git", "-C", str(package)]
    revision = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True)
    if revision.returncode == 0:
        status = subprocess.run([*git, "status", "--porcelain", "."], capture_output=True)
        changed = len(status.stdout.splitlines())
        where = f"git {revision.stdout.decode().strip()}" + (
            f" with {changed} changed files in it" if changed else ""
        )
    else:
        where = "not a git checkout"
    checked = "checked" if mermaid_available() else "NOT checked (mermaid unavailable)"
    return f"cocowiki {cocowiki.__version__} from {package} ({where}); diagrams {checked}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated")
    parser.add_argument("--stages", default=",".join(STAGES), help="comma-separated")
    parser.add_argument("--cache", type=Path, default=CACHE, help="downloads and trees")
    parser.add_argument("--workers", type=int, default=1, help="index parsers; 0 = automatic")
    parser.add_argument("--stage", choices=tuple(CHILD_STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--repo", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, args.repo, args.output, args.workers)))
        return
    sizes = _choices(parser, "size", args.sizes, tuple(SIZES))
    stages = _choices(parser, "stage", args.stages, STAGES)
    for stage in stages:
        if NEEDS.get(stage, stage) not in stages:
            parser.error(f"the {stage} stage needs the {NEEDS[stage]} stage: add it to --stages")
    args.cache.mkdir(parents=True, exist_ok=True)
    bench(sizes, stages, args.cache, args.workers)


def _choices(
    parser: argparse.ArgumentParser, what: str, text: str, known: tuple[str, ...]
) -> list[str]:
    chosen = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in chosen if item not in known]
    if unknown:
        parser.error(f"unknown {what} {unknown[0]!r}; {what}s are {', '.join(known)}")
    return [item for item in known if item in chosen]


if __name__ == "__main__":
    main()
