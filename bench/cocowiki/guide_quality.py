"""Whether the pages of a wiki built with no model read as a maintainer needs (issue 14).

    python bench/cocowiki/guide_quality.py                  # tokio, cobra, click
    python bench/cocowiki/guide_quality.py --repos click --keep /tmp/wikis

The repositories are published sources, fetched by this script (never by the tests) with
the registries' own clients and cached in ``~/.cache/cocowiki-bench``:

* tokio 1.24.2 (Rust, the runtime crate the issue was written against), from Debian's
  ``librust-tokio-dev`` (``apt-get download``: the crate's source as published);
* cobra 1.6.1 (Go, a CLI library with a ``go.mod``), from Debian's
  ``golang-github-spf13-cobra-dev``;
* click 8.1.7 (Python, a package under ``src/`` with tests, examples and docs), from PyPI.

Each is built with ``build_wiki`` (no model) into a fresh output, then checked against the
issue's "done means", each check a ratio with its goal:

* ``titles``: no page title holds "+N more" or "top level" (goal: all pages);
* ``purpose``: of the code pages whose own files carry module documentation (a module
  docstring, ``//!``, a package comment, a README in the folder), the share whose Purpose
  opens with a citation of that documentation (goal: all);
* ``ranked``: of the code pages that name key components, the share whose first one is
  public, and referenced from another file whenever any component of the page is; of a
  page none of whose public components is used elsewhere (a module private to its crate),
  a component visible beyond its file and used elsewhere (goal: at least 90%);
* ``resolved``: of the imports that name the repository's own code (Rust ``crate::``,
  ``self::``, ``super::``; Go paths under the ``go.mod`` module; Python relative
  imports), the share resolved to a file (goal: at least 95%);
* ``suites``: test, example and benchmark pages have no sub-pages, and no code page holds
  only suite files (goal: all);
* ``suite pages``: of the suite pages, the share that say how to run the suite (a command)
  and what it exercises on which code page (goal: all);
* ``tests linked``: of the code pages whose Tests section names test files, the share that
  link to the suite page holding them (goal: all);
* ``architecture``: of the pairs of top modules (the overview's own files included) whose
  code references the other's, the share drawn as an edge of the overview's diagram of its
  parts (goal: all).

The sources are fetched once (``apt-get download`` needs the Debian archive, ``pip
download`` PyPI); where the network is unavailable and the cache has no copy, the
repository is reported as not fetched, with the reason, and the run fails.

Prints one row per repository and check, PASS or FAIL, and exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from wiki_speed import CACHE, CLICK, fetch

_MORE = re.compile(r"\+\s*\d+\s+more|top level", re.IGNORECASE)


@dataclass(frozen=True)
class Repository:
    name: str
    language: str
    tree: Callable[[Path], Path]


def _debian(package: str, inside: str) -> Callable[[Path], Path]:
    """A Debian package's source tree: the .deb downloaded once, unpacked, the folder
    ``inside`` (a glob under the unpacked root) taken."""

    def tree(cache: Path) -> Path:
        unpacked = cache / "src" / package
        done = cache / "src" / f"{package}.done"
        if not done.exists():
            downloads = cache / "downloads" / package
            downloads.mkdir(parents=True, exist_ok=True)
            if not list(downloads.glob("*.deb")):
                print(f"fetching {package} from Debian", file=sys.stderr)
                subprocess.run(["apt-get", "download", "-q", package], cwd=downloads, check=True)
            (deb,) = downloads.glob("*.deb")
            shutil.rmtree(unpacked, ignore_errors=True)
            unpacked.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
            done.touch()
        (root,) = [path for path in unpacked.glob(inside) if path.is_dir()]
        return root

    return tree


REPOSITORIES = {
    "tokio": Repository(
        "tokio 1.24.2",
        "rust",
        _debian("librust-tokio-dev", "usr/share/cargo/registry/tokio-*"),
    ),
    "cobra": Repository(
        "cobra 1.6.1",
        "go",
        _debian("golang-github-spf13-cobra-dev", "usr/share/gocode/src/github.com/spf13/cobra"),
    ),
    "click": Repository("click 8.1.7", "python", lambda cache: fetch(CLICK, cache)),
}


@dataclass(frozen=True)
class Check:
    name: str
    good: int
    total: int
    goal: float
    examples: tuple[str, ...] = ()

    @property
    def ratio(self) -> float:
        return self.good / self.total if self.total else 1.0

    @property
    def passed(self) -> bool:
        return self.ratio >= self.goal


class Wiki:
    """What the checks read of a built wiki: its module tree, sections and catalog."""

    def __init__(self, repo: Path, output: Path) -> None:
        self.repo = repo
        self.output = output
        tree = json.loads((output / "module_tree.json").read_text())
        self.modules: list[dict[str, Any]] = tree["modules"]
        self.catalog = sqlite3.connect(f"file:{output / 'catalog.sqlite'}?mode=ro", uri=True)

    def sections(self, module_id: str) -> list[dict[str, Any]]:
        path = self.output / "artifacts" / "sections" / f"{module_id}.json"
        sections: list[dict[str, Any]] = json.loads(path.read_text())["sections"]
        return sorted(sections, key=lambda section: section["order"])

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return self.catalog.execute(sql, args).fetchall()

    def code_modules(self) -> Iterable[dict[str, Any]]:
        return (m for m in self.modules if m.get("kind", "code") == "code" and m["files"])


def check_titles(wiki: Wiki) -> Check:
    bad = [m["title"] for m in wiki.modules if _MORE.search(m["title"])]
    return Check("titles", len(wiki.modules) - len(bad), len(wiki.modules), 1.0, tuple(bad[:3]))


def _module_docs(wiki: Wiki, module: dict[str, Any]) -> set[str]:
    """Where the module's own documentation is: its package files (``__init__.py``,
    ``mod.rs``, ``doc.go``, a README, ...) that carry it, else any of its files with a
    module docstring, ``//!`` or package comment; test and mock files never speak for a
    module ("Mock version of std::fs::File" is not what ``fs`` is for)."""
    from cocowiki.pages.moduledocs import is_suite_or_mock

    files = module["files"]
    marks = ",".join("?" * len(files))
    documented = wiki.rows(
        f"SELECT path FROM components WHERE kind = 'module' AND doc != '' AND path IN ({marks})",
        *files,
    )
    folder = wiki.repo / module["path"]
    readmes = (
        {
            f"{module['path']}/{p.name}".lstrip("/")
            for p in folder.iterdir()
            if p.name.lower().startswith("readme")
        }
        if module["path"] and folder.is_dir()
        else set()
    )
    docs = {path for (path,) in documented if not is_suite_or_mock(path)} | readmes
    entry = {path for path in docs if _is_package_file(path, module["path"])}
    return entry or docs


#: Files that speak for their folder: a package's own documentation lives there.
_PACKAGE_FILES = re.compile(
    r"(?:^|/)(?:__init__\.py|lib\.rs|mod\.rs|main\.rs|doc\.go|package-info\.java"
    r"|index\.[cm]?[jt]sx?|README[^/]*)$",
    re.IGNORECASE,
)


def _is_package_file(path: str, folder: str) -> bool:
    """A package file of the folder itself, or ``<folder>.rs`` beside it (Rust)."""
    inside = path.rpartition("/")[0] == folder
    return (inside and bool(_PACKAGE_FILES.search(path))) or path == f"{folder}.rs"


def check_purpose(wiki: Wiki) -> Check:
    """A documented page's Purpose opens with its own module documentation."""
    good, total, bad = 0, 0, []
    for module in wiki.code_modules():
        docs = _module_docs(wiki, module)
        if module["parent"] is None or not docs:
            continue
        total += 1
        purpose = [s for s in wiki.sections(module["id"]) if s["id"] == "purpose"]
        first = next((c["path"] for s in purpose for c in s["citations"]), None)
        if first in docs:
            good += 1
        else:
            bad.append(f"{module['title']}: {first}")
    return Check("purpose", good, total, 1.0, tuple(bad[:3]))


def check_ranked(wiki: Wiki) -> Check:
    good, total, bad = 0, 0, []
    for module in wiki.code_modules():
        named = [
            c
            for section in wiki.sections(module["id"])
            if section["id"] not in ("header", "purpose")
            for c in section["components"]
        ]
        named = [c for c in named if "#" in c]
        if not named:
            continue
        total += 1
        first = named[0]
        visibility, fan_in = _component_use(wiki, first)
        files = module["files"]
        marks = ",".join("?" * len(files))
        used = dict(
            wiki.rows(
                "SELECT c.visibility, COUNT(*) FROM refs r JOIN components c "
                f"ON r.target_id = c.id WHERE c.path IN ({marks}) AND r.path != c.path "
                "AND c.kind NOT IN ('module', 'impl') "
                "GROUP BY c.visibility",
                *files,
            )
        )
        if visibility == "public":
            ok = bool(fan_in) or not used
        else:  # a page of a crate-private module: what the rest of the crate uses
            ok = visibility != "private" and bool(fan_in) and not used.get("public")
        if ok:
            good += 1
        else:
            bad.append(f"{module['title']}: {first}")
    return Check("ranked", good, total, 0.9, tuple(bad[:3]))


def _component_use(wiki: Wiki, component_id: str) -> tuple[str, int]:
    rows = wiki.rows("SELECT visibility, path FROM components WHERE id = ?", component_id)
    if not rows:
        return "", 0
    visibility, path = rows[0]
    fan_in = wiki.rows(
        "SELECT COUNT(*) FROM refs WHERE target_id = ? AND path != ?", component_id, path
    )[0][0]
    return str(visibility), fan_in


def _own_import(wiki: Wiki, language: str) -> Callable[[str], bool]:
    if language == "rust":
        return lambda name: name.startswith(("crate::", "self::", "super::"))
    if language == "go":
        match = re.search(r"^module\s+(\S+)", (wiki.repo / "go.mod").read_text(), re.M)
        module = match.group(1) if match else "\0"
        return lambda name: name.strip('"') == module or name.strip('"').startswith(module + "/")
    return lambda name: name.startswith(".")


def check_resolved(wiki: Wiki, language: str) -> Check:
    own = _own_import(wiki, language)
    rows = wiki.rows(
        "SELECT target_name, target_path, path, line FROM refs WHERE kind = 'import' "
        "AND path IN (SELECT path FROM files WHERE language = ?)",
        language,
    )
    ours = [row for row in rows if own(row[0])]
    bad = [f"{path}:{line} {name}" for name, target, path, line in ours if not target]
    return Check("resolved", len(ours) - len(bad), len(ours), 0.95, tuple(bad[:3]))


def check_suites(wiki: Wiki) -> Check:
    from cocowiki.index.suites import suite_kind

    bad = [
        m["title"]
        for m in wiki.modules
        if (m.get("kind", "code") != "code" and m["children"])
        or (
            m.get("kind", "code") == "code"
            and m["files"]
            and all(suite_kind(path) is not None for path in m["files"])
        )
    ]
    return Check("suites", len(wiki.modules) - len(bad), len(wiki.modules), 1.0, tuple(bad[:3]))


def check_suite_pages(wiki: Wiki) -> Check:
    """A suite's page says how to run it and what it exercises."""
    suites = [m for m in wiki.modules if m.get("kind", "code") != "code"]
    bad = []
    for module in suites:
        ids = {section["id"]: section for section in wiki.sections(module["id"])}
        run = ids.get("run", {}).get("markdown", "")
        if "```sh\n" not in run or "coverage" not in ids:
            bad.append(module["title"])
    return Check("suite pages", len(suites) - len(bad), len(suites), 1.0, tuple(bad[:3]))


def check_tests_linked(wiki: Wiki) -> Check:
    """A code page's Tests section links to the suite pages of the test files it names."""
    owner = {path: m["id"] for m in wiki.modules for path in m["files"]}
    good, total, bad = 0, 0, []
    for module in wiki.code_modules():
        tests = [s for s in wiki.sections(module["id"]) if s["id"] == "tests"]
        named = {p for s in tests for p in re.findall(r"^- `([^`]+)`", s["markdown"], re.M)}
        suites = {owner[path] for path in named if path in owner} - {module["id"]}
        if not suites:
            continue
        total += 1
        links = {link for s in tests for link in s["links"]}
        if suites <= links:
            good += 1
        else:
            bad.append(module["title"])
    return Check("tests linked", good, total, 1.0, tuple(bad[:3]))


_NODE = re.compile(r'^\s*(n\d+)\["([^"]*)"\]', re.M)
_EDGE = re.compile(r'^\s*(n\d+) -->(?:\|"\d+"\|)? (n\d+)', re.M)


def check_architecture(wiki: Wiki) -> Check:
    """Every pair of top modules that reference each other is an edge of the overview's
    diagram of its parts (top modules beyond the diagram's limit are one "more" node)."""
    from cocowiki.pages.facts import MIN_CONFIDENCE

    by_id = {m["id"]: m for m in wiki.modules}
    root = next(m for m in wiki.modules if m["parent"] is None)
    label = {child: by_id[child]["title"] for child in root["children"]}
    label[root["id"]] = f"{root['title']} (own files)"
    group = {path: child for child in root["children"] for path in _subtree(by_id, child)}
    group |= {path: root["id"] for path in root["files"]}
    pairs: set[tuple[str, str]] = set()
    for source, target in wiki.rows(
        "SELECT path, target_path FROM refs WHERE target_path IS NOT NULL AND confidence >= ?",
        MIN_CONFIDENCE,
    ):
        if source in group and target in group and group[source] != group[target]:
            pairs.add((label[group[source]], label[group[target]]))
    diagrams = [
        d
        for s in wiki.sections(root["id"])
        if s["id"] == "fit"
        for d in s["diagrams"]
        if d.startswith("flowchart TB")
    ]
    names: dict[str, str] = dict(_NODE.findall(diagrams[0])) if diagrams else {}
    drawn = {(names[a], names[b]) for a, b in _EDGE.findall(diagrams[0])} if diagrams else set()
    shown = set(names.values())
    wanted = {pair for pair in pairs if pair[0] in shown and pair[1] in shown}
    missing = sorted(wanted - drawn)
    examples = tuple(f"{a} -> {b}" for a, b in missing[:3])
    return Check("architecture", len(wanted) - len(missing), len(wanted), 1.0, examples)


def _subtree(by_id: dict[str, dict[str, Any]], module_id: str) -> list[str]:
    module = by_id[module_id]
    return [*module["files"], *(p for child in module["children"] for p in _subtree(by_id, child))]


class NotFetched(Exception):
    """A repository's sources are neither cached nor downloadable here."""


def source_of(repository: Repository, cache: Path) -> Path:
    """The repository's cached sources, fetched first if need be; :class:`NotFetched`
    with the reason when that fails (no network, no ``apt-get``, no such package)."""
    try:
        return repository.tree(cache)
    except (subprocess.CalledProcessError, OSError, ValueError) as error:
        raise NotFetched(
            f"{repository.name} is not in {cache} and could not be fetched ({error}); "
            "the benchmark needs the network once (the Debian archive, PyPI) to cache it"
        ) from error


def measure(key: str, cache: Path, keep: Path | None) -> tuple[list[Check], dict[str, Any]]:
    from cocowiki.index import IndexConfig
    from cocowiki.pages import BuildConfig, build_wiki

    repository = REPOSITORIES[key]
    source = source_of(repository, cache)
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch) / key
        shutil.copytree(source, repo)
        output = (keep / key) if keep else Path(scratch) / "wiki"
        shutil.rmtree(output, ignore_errors=True)
        started = time.perf_counter()
        result = build_wiki(repo, output, BuildConfig(index=IndexConfig(use_git=False)))
        seconds = time.perf_counter() - started
        wiki = Wiki(repo, output)
        checks = [
            check_titles(wiki),
            check_purpose(wiki),
            check_ranked(wiki),
            check_resolved(wiki, repository.language),
            check_suites(wiki),
            check_suite_pages(wiki),
            check_tests_linked(wiki),
            check_architecture(wiki),
        ]
        summary = {
            "pages": len(result.pages),
            "verified": result.verified,
            "lines": result.index.lines,
            "seconds": round(seconds, 2),
            "suite_pages": sum(1 for m in wiki.modules if m.get("kind", "code") != "code"),
        }
        wiki.catalog.close()
    return checks, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repos", default=",".join(REPOSITORIES), help="comma-separated")
    parser.add_argument("--cache", type=Path, default=CACHE, help="downloads and sources")
    parser.add_argument("--keep", type=Path, help="keep each wiki in KEEP/<repo>")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.repos.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in REPOSITORIES]
    if unknown:
        parser.error(f"unknown repository {unknown[0]!r}; known: {', '.join(REPOSITORIES)}")
    failed = 0
    for key in chosen:
        try:
            checks, summary = measure(key, args.cache, args.keep)
        except NotFetched as error:
            print(f"{REPOSITORIES[key].name}: NOT FETCHED: {error}")
            failed += 1
            continue
        print(f"{REPOSITORIES[key].name}: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
        for check in checks:
            verdict = "PASS" if check.passed else "FAIL"
            failed += not check.passed
            line = f"  {check.name:<12} {check.good:>4}/{check.total:<4} {check.ratio:6.1%}"
            line += f"  goal {check.goal:.0%}  {verdict}"
            if check.examples and not check.passed:
                line += "  e.g. " + "; ".join(check.examples)
            print(line)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
