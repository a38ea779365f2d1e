"""Pages a maintainer wants to read, with no model, in all nine languages.

Each language's fixture is built with a few files more: a documented sub-module where the
language keeps its docs, imports of the repository's own code (Rust ``crate::`` and
``super::``, Go paths of the module in ``go.mod``, Python relative imports), a test suite
with the build file that runs it. The built wiki must then show what the issue's "done
means" asks: each page's Purpose opens with its own module's docs; no title says
"+N more" or "top level"; a page's first key component is public and, when anything of
the page is used elsewhere, used elsewhere itself; in-repository imports resolve; a suite
is one page, saying how to run it and what it tests where, and the code pages it
exercises link to it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from build_helpers import (
    LANGUAGES,
    build_checked,
    checker_fixture,  # noqa: F401 (the module's `checker` fixture)
    copy_fixture,
    needs_mermaid,
    sections_of,
    write_files,
)

from cocowiki.index import read_index
from cocowiki.index.model import IndexResult
from cocowiki.mermaid import MermaidChecker
from cocowiki.pages import PageSectionArtifact

pytestmark = needs_mermaid

_MORE = re.compile(r"\+\s*\d+\s+more|top level", re.IGNORECASE)


@dataclass(frozen=True)
class Guide:
    """What a language's fixture gets added, and what its wiki must then say.

    ``purposes``: a page's folder -> the file whose docs its Purpose cites first;
    ``imports``: (file, import as written) -> the file it resolves to;
    ``suite``: the suite's folder, its test files, and the command that runs it;
    ``tested``: a code file whose page must link to the suite page.
    """

    extra: dict[str, str]
    purposes: dict[str, str]
    imports: dict[tuple[str, str], str]
    suite: tuple[str, tuple[str, ...], str]
    tested: str
    more: dict[str, Any] = field(default_factory=dict)


GUIDES: dict[str, Guide] = {
    "rust": Guide(
        extra={
            "src/geom/mod.rs": (
                "#![cfg(not(loom))]\n#![allow(dead_code)]\n\n"
                "//! Geometry helpers: distances between shapes.\n\n"
                "pub mod dist;\npub use crate::shapes::Shape;\n"
            ),
            "src/geom/dist.rs": (
                "//! Distances.\nuse crate::util::square;\nuse super::super::shapes::Circle;\n\n"
                "/// The distance between two areas.\n"
                "pub fn dist(a: &Circle, b: f64) -> f64 {\n    square(b).sqrt() + a.radius\n}\n"
            ),
            "src/geom/tests/dist.rs": (
                "use crate::geom::dist::dist;\nuse crate::shapes::Circle;\n\n#[test]\n"
                "fn zero() {\n    assert_eq!(dist(&Circle::new(0.0), 0.0), 0.0);\n}\n"
            ),
        },
        purposes={"src/geom": "src/geom/mod.rs", "": "src/lib.rs"},
        imports={
            ("src/geom/dist.rs", "crate::util::square"): "src/util.rs",
            ("src/geom/dist.rs", "super::super::shapes::Circle"): "src/shapes.rs",
            ("src/geom/tests/dist.rs", "crate::geom::dist::dist"): "src/geom/dist.rs",
        },
        suite=("src/geom/tests", ("src/geom/tests/dist.rs",), "cargo test --lib"),
        tested="src/geom/dist.rs",
    ),
    "go": Guide(
        extra={
            "geom/doc.go": "// Package geom measures distances between shapes.\npackage geom\n",
            "geom/dist.go": (
                'package geom\n\nimport "example.com/geo/shapes"\n\n'
                "// Dist is the distance between two shapes' areas.\n"
                "func Dist(a, b shapes.Shape) float64 {\n\treturn a.Area() - b.Area()\n}\n"
            ),
            "geom/dist_test.go": (
                'package geom\n\nimport (\n\t"testing"\n\n\t"example.com/geo/shapes"\n)\n\n'
                "func TestDist(t *testing.T) {\n"
                "\tif Dist(shapes.NewCircle(1), shapes.NewCircle(1)) != 0 {\n"
                '\t\tt.Fatal("not zero")\n\t}\n}\n'
            ),
        },
        purposes={"geom": "geom/doc.go", "shapes": "shapes/shapes.go"},
        imports={
            ("main.go", "example.com/geo/shapes"): "shapes/base.go",
            ("geom/dist.go", "example.com/geo/shapes"): "shapes/base.go",
        },
        suite=("geom", ("geom/dist_test.go",), "go test ./geom/..."),
        tested="geom/dist.go",
    ),
    "python": Guide(
        extra={
            "pyproject.toml": '[project]\nname = "shapes"\n\n[tool.pytest.ini_options]\n'
            'testpaths = ["tests"]\n',
            "shapes/geom/__init__.py": (
                '"""Geometry helpers: distances between shapes."""\n\nfrom .dist import dist\n'
            ),
            "shapes/geom/dist.py": (
                '"""Distances."""\n\nfrom ..base import Shape\nfrom . import helpers\n\n\n'
                "def dist(a: Shape, b: Shape) -> float:\n"
                '    """The distance between two areas."""\n'
                "    return helpers.diff(a.area(), b.area())\n"
            ),
            "shapes/geom/helpers.py": "def diff(a: float, b: float) -> float:\n    return a - b\n",
            "tests/conftest.py": (
                "import pytest\n\nfrom shapes.circle import Circle\n\n\n@pytest.fixture\n"
                "def unit() -> Circle:\n    return Circle(1.0)\n"
            ),
            "tests/test_geom.py": (
                "from shapes.circle import Circle\nfrom shapes.geom.dist import dist\n\n\n"
                "def test_dist(unit: Circle) -> None:\n    assert dist(unit, Circle(1.0)) == 0\n"
            ),
        },
        purposes={"shapes/geom": "shapes/geom/__init__.py", "shapes": "shapes/__init__.py"},
        imports={
            ("shapes/geom/dist.py", "..base"): "shapes/base.py",
            ("shapes/geom/dist.py", "."): "shapes/geom/helpers.py",
            ("shapes/geom/__init__.py", ".dist"): "shapes/geom/dist.py",
        },
        suite=("tests", ("tests/conftest.py", "tests/test_geom.py"), "pytest tests"),
        tested="shapes/geom/dist.py",
        more={"helper": "tests/conftest.py"},
    ),
    "java": Guide(
        extra={
            "pom.xml": (
                "<project>\n  <groupId>com.example</groupId>\n"
                "  <artifactId>shapes</artifactId>\n</project>\n"
            ),
            "src/main/java/com/example/shapes/package-info.java": (
                "/** Shapes and their areas. */\npackage com.example.shapes;\n"
            ),
            "src/test/java/com/example/shapes/CircleTest.java": (
                "package com.example.shapes;\n\nclass CircleTest {\n"
                "    void area() {\n        new Circle(1.0).area();\n    }\n}\n"
            ),
        },
        purposes={
            "src/main/java/com/example/shapes": (
                "src/main/java/com/example/shapes/package-info.java"
            )
        },
        imports={},
        suite=("src/test", ("src/test/java/com/example/shapes/CircleTest.java",), "mvn test"),
        tested="src/main/java/com/example/shapes/Circle.java",
    ),
    "csharp": Guide(
        extra={
            "Shapes/README.md": "# Shapes\n\nShapes and their areas, in square units.\n",
            "Shapes.Tests/Shapes.Tests.csproj": '<Project Sdk="Microsoft.NET.Sdk">\n</Project>\n',
            "Shapes.Tests/CircleTests.cs": (
                "using Geo.Shapes;\n\nnamespace Geo.Tests\n{\n    public class CircleTests\n"
                "    {\n        public void Area()\n        {\n"
                "            new Circle(1.0).Area();\n        }\n    }\n}\n"
            ),
        },
        purposes={"Shapes": "Shapes/README.md"},
        imports={},
        suite=(
            "Shapes.Tests",
            ("Shapes.Tests/CircleTests.cs",),
            "dotnet test Shapes.Tests/Shapes.Tests.csproj",
        ),
        tested="Shapes/Circle.cs",
    ),
    "typescript": Guide(
        extra={
            "package.json": '{\n  "name": "shapes",\n  "scripts": {\n'
            '    "test": "vitest run"\n  }\n}\n',
            "src/geom/index.ts": (
                "/** Geometry helpers: distances between shapes. */\n"
                'export { dist } from "./dist";\n'
            ),
            "src/geom/dist.ts": (
                'import { Shape } from "../shapes";\n\n/** The distance between two areas. */\n'
                "export function dist(a: Shape, b: Shape): number {\n"
                "  return a.area() - b.area();\n}\n"
            ),
            "src/geom/dist.test.ts": (
                'import { dist } from "./dist";\n\nexport function testDist(): void {\n'
                "  dist(undefined as never, undefined as never);\n}\n"
            ),
        },
        purposes={"src/geom": "src/geom/index.ts"},
        imports={("src/geom/dist.ts", "../shapes"): "src/shapes.ts"},
        suite=("src/geom", ("src/geom/dist.test.ts",), "npm test"),
        tested="src/geom/dist.ts",
    ),
    "javascript": Guide(
        extra={
            "package.json": '{\n  "name": "shapes",\n  "type": "module"\n}\n',
            "src/geom/index.js": (
                "/** Geometry helpers: distances between shapes. */\n"
                'export { dist } from "./dist.js";\n'
            ),
            "src/geom/dist.js": (
                'import { square } from "../util.js";\n\n/** The distance between two areas. */\n'
                "export function dist(a, b) {\n  return square(a - b);\n}\n"
            ),
            "test/dist.test.js": (
                'import test from "node:test";\nimport { dist } from "../src/geom/dist.js";\n\n'
                'test("zero", () => dist(1, 1));\n'
            ),
        },
        purposes={"src/geom": "src/geom/index.js"},
        imports={("src/geom/dist.js", "../util.js"): "src/util.js"},
        suite=("test", ("test/dist.test.js",), "node --test test"),
        tested="src/geom/dist.js",
    ),
    "c": Guide(
        extra={
            "CMakeLists.txt": (
                "project(geo C)\nenable_testing()\n"
                "add_executable(test_dist tests/test_dist.c src/geom/dist.c)\n"
                "add_test(NAME dist COMMAND test_dist)\n"
            ),
            "src/geom/dist.h": (
                "/* Geometry helpers: distances between points. */\n#ifndef DIST_H\n"
                "#define DIST_H\n\n/** The distance between two values. */\n"
                "double dist(double a, double b);\n\n#endif\n"
            ),
            "src/geom/dist.c": (
                '#include "dist.h"\n\ndouble dist(double a, double b) {\n    return a - b;\n}\n'
            ),
            "tests/test_dist.c": (
                '#include "../src/geom/dist.h"\n\nint main(void) {\n'
                "    return dist(1.0, 1.0) != 0.0;\n}\n"
            ),
        },
        purposes={"src/geom": "src/geom/dist.h"},
        imports={},
        suite=(
            "tests",
            ("tests/test_dist.c",),
            "cmake -B build && cmake --build build && ctest --test-dir build",
        ),
        tested="src/geom/dist.h",
    ),
    "cpp": Guide(
        extra={
            "CMakeLists.txt": (
                "project(geo CXX)\nenable_testing()\n"
                "add_executable(dist_test tests/dist_test.cpp src/geom/dist.cpp)\n"
                "add_test(NAME dist COMMAND dist_test)\n"
            ),
            "src/geom/dist.hpp": (
                "// Geometry helpers: distances between shapes.\n#pragma once\n\n"
                "namespace geo {\n\n/// The distance between two values.\n"
                "double dist(double a, double b);\n\n}  // namespace geo\n"
            ),
            "src/geom/dist.cpp": (
                '#include "dist.hpp"\n\nnamespace geo {\n\n'
                "double dist(double a, double b) { return a - b; }\n\n}  // namespace geo\n"
            ),
            "tests/dist_test.cpp": (
                '#include "../src/geom/dist.hpp"\n\nint main() {\n'
                "    return geo::dist(1.0, 1.0) != 0.0;\n}\n"
            ),
        },
        purposes={"src/geom": "src/geom/dist.hpp"},
        imports={},
        suite=(
            "tests",
            ("tests/dist_test.cpp",),
            "cmake -B build && cmake --build build && ctest --test-dir build",
        ),
        tested="src/geom/dist.hpp",
    ),
}


@dataclass
class Built:
    repo: Path
    output: Path
    modules: list[dict[str, Any]]
    index: IndexResult

    def module(self, path: str, kind: str = "code") -> dict[str, Any]:
        (found,) = [m for m in self.modules if m["path"] == path and m["kind"] == kind]
        return found

    def owner(self, path: str) -> dict[str, Any]:
        (found,) = [m for m in self.modules if path in m["files"]]
        return found

    def sections(self, module_id: str) -> dict[str, PageSectionArtifact]:
        return {section.id: section for section in sections_of(self.output, module_id)}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, checker: MermaidChecker) -> dict[str, Built]:
    """Every language's fixture, with its guide's files, built once for the module."""
    wikis: dict[str, Built] = {}
    for language in LANGUAGES:
        root = tmp_path_factory.mktemp(language)
        repo = copy_fixture(language, root)
        write_files(repo, GUIDES[language].extra)
        output = root / "out"
        build_checked(repo, output, checker)
        tree = json.loads((output / "module_tree.json").read_text())
        wikis[language] = Built(repo, output, tree["modules"], read_index(output))
    return wikis


@pytest.mark.parametrize("language", LANGUAGES)
def test_purpose_comes_from_the_modules_own_docs(language: str, built: dict[str, Built]) -> None:
    wiki = built[language]
    for folder, documentation in GUIDES[language].purposes.items():
        module = wiki.module(folder)
        purpose = wiki.sections(module["id"])["purpose"]
        assert purpose.citations, (language, folder, purpose.markdown)
        assert purpose.citations[0].path == documentation, (language, purpose.markdown)


@pytest.mark.parametrize("language", LANGUAGES)
def test_titles_say_what_the_page_is(language: str, built: dict[str, Built]) -> None:
    titles = [m["title"] for m in built[language].modules]
    assert not [title for title in titles if _MORE.search(title)]
    assert len(set(titles)) == len(titles)


@pytest.mark.parametrize("language", LANGUAGES)
def test_first_key_component_is_public_and_used(language: str, built: dict[str, Built]) -> None:
    wiki = built[language]
    components = {c.id: c for c in wiki.index.components}
    used = {r.target_id for r in wiki.index.references if r.target_id and _elsewhere(r)}
    checked = 0
    for module in wiki.modules:
        key = wiki.sections(module["id"]).get("key-components")
        if module["kind"] != "code" or key is None:
            continue
        first = components[key.components[0]]
        checked += 1
        starts = _entry_points(wiki, module["id"])
        if any(start == first.id or start.startswith(f"{first.id}.") for start in starts):
            continue  # where execution starts (`main`, the class of C#'s `Main`) comes first
        assert first.visibility == "public", (language, module["title"], first.id)
        files = set(module["files"])
        if any(c in used for c in components if components[c].path in files):
            assert first.id in used, (language, module["title"], first.id)
    assert checked >= 2


def _entry_points(wiki: Built, module_id: str) -> list[str]:
    dossier = json.loads((wiki.output / "artifacts" / "dossiers" / f"{module_id}.json").read_text())
    return [e["component_id"] for e in dossier["entry_points"] if e["component_id"]]


def _elsewhere(reference: Any) -> bool:
    return not str(reference.target_id).startswith(reference.path + "#") and (
        reference.target_id != reference.path
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_repositorys_own_imports_resolve(language: str, built: dict[str, Built]) -> None:
    imports = GUIDES[language].imports
    found = {
        (r.path, r.target_name): r.target_path
        for r in built[language].index.references
        if r.kind == "import" and (r.path, r.target_name) in imports
    }
    if language == "go":  # a package import resolves to one of the package's files
        found = {key: value and value.rsplit("/", 1)[0] for key, value in found.items()}
        imports = {key: value.rsplit("/", 1)[0] for key, value in imports.items()}
    assert found == imports


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_suite_is_one_page_that_says_how_to_run_it(
    language: str, built: dict[str, Built]
) -> None:
    wiki = built[language]
    guide = GUIDES[language]
    home, files, command = guide.suite
    suites = [m for m in wiki.modules if m["kind"] != "code"]
    assert all(not m["children"] for m in suites)
    assert not [m for m in wiki.modules if m["kind"] == "code" and _only_suites(m["files"])]
    page = wiki.owner(files[0])
    assert page["kind"] == "tests" and set(files) <= set(page["files"])
    assert page["path"] == home
    sections = wiki.sections(page["id"])
    assert f"```sh\n{command}\n```" in sections["run"].markdown
    tested = wiki.owner(guide.tested)["id"]
    assert tested in sections["coverage"].links, sections["coverage"].markdown
    assert "## Key components" not in "".join(s.markdown for s in sections.values())
    # the code page names the test and links to the suite's page
    tests = wiki.sections(tested)["tests"]
    assert page["id"] in tests.links and files[-1] in tests.markdown, tests.markdown
    if "helper" in guide.more:
        assert guide.more["helper"] in sections["helpers"].markdown


def _only_suites(files: list[str]) -> bool:
    from cocowiki.index.suites import suite_kind

    return bool(files) and all(suite_kind(path) is not None for path in files)


_NODE = re.compile(r'^\s*(n\d+)\["([^"]*)"\]', re.M)
_EDGE = re.compile(r"^\s*(n\d+) -->(?:\|\"\d+\"\|)? (n\d+)", re.M)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_overview_draws_the_references_between_top_modules(
    language: str, built: dict[str, Built]
) -> None:
    """The overview's one diagram of its parts has an edge wherever a top module's code
    (with its whole subtree), or the overview's own files, reference another's."""
    from cocowiki.pages.facts import is_confident

    wiki = built[language]
    by_id = {m["id"]: m for m in wiki.modules}
    root = next(m for m in wiki.modules if m["parent"] is None)
    top = {child: _subtree_files(by_id, child) for child in root["children"]}
    group = {path: child for child, files in top.items() for path in files}
    group |= {path: root["id"] for path in root["files"]}
    label = {m: by_id[m]["title"] for m in top} | {root["id"]: f"{root['title']} (own files)"}
    expected = {
        (label[group[r.path]], label[group[r.target_path]])
        for r in wiki.index.references
        if r.path in group
        and r.target_path in group
        and group[r.path] != group[r.target_path]
        and is_confident(r.confidence)
    }
    diagrams = wiki.sections("overview")["fit"].diagrams
    assert len(diagrams) == 1 and diagrams[0].startswith("flowchart TB")
    names = dict(_NODE.findall(diagrams[0]))
    drawn = {(names[a], names[b]) for a, b in _EDGE.findall(diagrams[0])}
    assert expected and expected <= drawn, (expected, drawn)


def _subtree_files(by_id: dict[str, dict[str, Any]], module_id: str) -> list[str]:
    module = by_id[module_id]
    return [*module["files"], *(f for c in module["children"] for f in _subtree_files(by_id, c))]


RUNNER_CASES = [
    # (kind, home, files, language, {path: text}) -> command, the file it is read from
    (
        "benchmarks",
        "benches",
        ["benches/a.rs"],
        "rust",
        {"Cargo.toml": "[package]\n"},
        "cargo bench",
    ),
    (
        "examples",
        "examples",
        ["examples/hi.rs"],
        "rust",
        {"Cargo.toml": "[package]\n"},
        "cargo run --example hi",
    ),
    (
        "tests",
        "app/src/test",
        ["app/src/test/T.kt"],
        "kotlin",
        {"app/build.gradle.kts": "", "app/gradlew": ""},
        "./gradlew test",
    ),
    ("tests", "t", ["t/x.c"], "c", {"Makefile": "all:\n\ncheck: all\n"}, "make check"),
    (
        "tests",
        "tests",
        ["tests/test_a.py"],
        "python",
        {"tests/conftest.py": "x = 1\n"},
        "pytest tests",
    ),
    (
        "tests",
        "tests",
        ["tests/test_a.py"],
        "python",
        {"tests/conftest.py": "", "setup.cfg": "[tool:pytest]\n"},
        "pytest tests",
    ),
    (
        "tests",
        "spec",
        ["spec/a.spec.ts"],
        "typescript",
        {"package.json": '{"devDependencies": {"jest": "29"}}'},
        "npx jest spec",
    ),
    (
        "benchmarks",
        "",
        ["x_bench.go"],
        "go",
        {"go.mod": "module m\n"},
        "go test -run '^$' -bench . ./...",
    ),
    ("tests", "tests", ["tests/test_a.py"], "python", {}, "pytest tests"),
]


@pytest.mark.parametrize(("kind", "home", "files", "language", "tree", "command"), RUNNER_CASES)
def test_the_runner_comes_from_the_build_files(
    kind: str, home: str, files: list[str], language: str, tree: dict[str, str], command: str
) -> None:
    from cocowiki.pages.runners import Repository, suite_runner

    def names(directory: str) -> list[str]:
        return [p.rsplit("/", 1)[-1] for p in tree if p.rpartition("/")[0] == directory]

    runner = suite_runner(
        Repository(names, lambda path: tree[path].splitlines()), kind, home, files, language
    )
    assert runner.command == command
    if tree:  # cited: the build file that says so (pytest's config before a conftest.py)
        assert runner.path in tree and runner.line is not None
        assert not (runner.path.endswith("conftest.py") and "setup.cfg" in tree)
    else:
        assert runner.path is None
