"""How a suite is run: the command a maintainer types, inferred from the repository.

A suite page says how to run it, and the answer is in the repository's build files, read
from the suite's folder up to the repository's top, the nearest first: ``Cargo.toml``
(``cargo test``, ``cargo bench``, ``cargo run --example``), ``go.mod`` (``go test``),
``package.json`` (its ``test`` script, else the runner it depends on, else
``node --test``), ``pom.xml`` and ``build.gradle`` (``mvn test``, ``./gradlew test``),
a ``.csproj`` or ``.sln`` (``dotnet test``), ``CMakeLists.txt`` with tests (``ctest``),
Python's pytest configuration; else a ``Makefile`` with a ``test`` or ``check`` target,
or a ``conftest.py``. Each command carries the line that made it (``path``, ``line``),
which the page cites; one known only from the files' own conventions (``test_*.py``:
pytest) has none.

This module decides from names and lines alone; :mod:`.suitepage` does the reading, so
the page's recorded inputs include every file looked at.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: Lines read of a build file, at most.
HEAD_LINES = 400


@dataclass(frozen=True, slots=True)
class Runner:
    """A command that runs a suite, from the top of the repository, and where it comes
    from (``path`` and ``line`` of the build file; None when from conventions only)."""

    command: str
    path: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Repository:
    """What the inference may look at: ``names(directory)`` lists a folder's files
    (``""`` for the top), ``lines(path)`` reads one."""

    names: Callable[[str], Sequence[str]]
    lines: Callable[[str], Sequence[str]]


def suite_runner(
    repo: Repository, kind: str, home: str, files: Sequence[str], language: str
) -> Runner:
    """The command that runs a suite of ``kind`` (tests, examples, benchmarks) kept in
    ``home`` (``files`` its source files, ``language`` their main language)."""
    listed = [(directory, set(repo.names(directory))) for directory in _upwards(home)]
    for rules in (_RULES.get(language, ()), _LATE):
        for directory, names in listed:
            for rule in rules:
                found = rule(repo, directory, names, kind, home, files)
                if found is not None:
                    return found
    return _by_convention(kind, home, files, language)


def _upwards(home: str) -> list[str]:
    folders = [home]
    while folders[-1]:
        folders.append(posixpath.dirname(folders[-1]))
    return folders


def _join(directory: str, name: str) -> str:
    return posixpath.join(directory, name) if directory else name


def _target(home: str) -> str:
    """``./tests/...`` for a folder, ``./...`` for the top."""
    return f"./{home}/..." if home else "./..."


def _first_line(repo: Repository, path: str, pattern: str) -> int | None:
    compiled = re.compile(pattern)
    for number, text in enumerate(repo.lines(path)[:HEAD_LINES], start=1):
        if compiled.search(text):
            return number
    return None


Rule = Callable[[Repository, str, set[str], str, str, Sequence[str]], Runner | None]


def _cargo(
    repo: Repository, directory: str, names: set[str], kind: str, home: str, files: Sequence[str]
) -> Runner | None:
    if "Cargo.toml" not in names:
        return None
    path = _join(directory, "Cargo.toml")
    line = _first_line(repo, path, r"^\s*\[(package|workspace)\]") or 1
    if kind == "benchmarks":
        return Runner("cargo bench", path, line)
    if kind == "examples":
        stem = posixpath.splitext(posixpath.basename(sorted(files)[0]))[0] if files else "NAME"
        return Runner(f"cargo run --example {stem}", path, line)
    inside_src = "src" in home.split("/")
    return Runner("cargo test --lib" if inside_src else "cargo test", path, line)


def _go(
    repo: Repository, directory: str, names: set[str], kind: str, home: str, files: Sequence[str]
) -> Runner | None:
    if "go.mod" not in names:
        return None
    path = _join(directory, "go.mod")
    line = _first_line(repo, path, r"^module\s") or 1
    if kind == "benchmarks":
        return Runner(f"go test -run '^$' -bench . {_target(home)}", path, line)
    if kind == "examples" and not any(f.endswith("_test.go") for f in files):
        return Runner(f"go run ./{home}" if home else "go run .", path, line)
    return Runner(f"go test {_target(home)}", path, line)


def _npm(
    repo: Repository, directory: str, names: set[str], kind: str, home: str, files: Sequence[str]
) -> Runner | None:
    if "package.json" not in names:
        return None
    path = _join(directory, "package.json")
    lines = list(repo.lines(path)[:HEAD_LINES])
    try:
        manifest = json.loads("\n".join(lines))
    except ValueError:
        return None
    if not isinstance(manifest, dict):
        return None
    scripts = manifest.get("scripts") or {}
    script = {"benchmarks": "bench", "examples": "example"}.get(kind, "test")
    if isinstance(scripts, dict) and script in scripts:
        line = _first_line(repo, path, rf'^\s*"{script}"\s*:') or 1
        command = "npm test" if script == "test" else f"npm run {script}"
        return Runner(command, path, line)
    if kind != "tests":
        return None
    dependencies = {
        **(manifest.get("dependencies") or {}),
        **(manifest.get("devDependencies") or {}),
    }
    for tool, command in (
        ("vitest", "npx vitest run"),
        ("jest", "npx jest"),
        ("mocha", "npx mocha"),
    ):
        if tool in dependencies:
            line = _first_line(repo, path, rf'^\s*"{tool}"\s*:') or 1
            return Runner(f"{command} {home}".rstrip(), path, line)
    return Runner(f"node --test {home}".rstrip(), path, 1)


def _maven(
    repo: Repository, directory: str, names: set[str], kind: str, home: str, files: Sequence[str]
) -> Runner | None:
    if "pom.xml" in names:
        path = _join(directory, "pom.xml")
        return Runner("mvn test", path, _first_line(repo, path, r"<artifactId>") or 1)
    for name in ("build.gradle.kts", "build.gradle"):
        if name in names:
            gradle = "./gradlew" if "gradlew" in names else "gradle"
            return Runner(f"{gradle} test", _join(directory, name), 1)
    return None


def _dotnet(
    repo: Repository, directory: str, names: set[str], kind: str, home: str, files: Sequence[str]
) -> Runner | None:
    projects = sorted(n for n in names if n.endswith((".csproj", ".fsproj", ".sln")))
    if not projects:
        return None
    path = _join(directory, projects[0])
    verb = "run --project" if kind != "tests" else "test"
    return Runner(f"dotnet {verb} {path}", path, 1)


def _cmake(
    repo: Repository, directory: str, names: set[str], kind: str, home: str, files: Sequence[str]
) -> Runner | None:
    if "CMakeLists.txt" not in names:
        return None
    path = _join(directory, "CMakeLists.txt")
    line = _first_line(repo, path, r"(?i)\b(enable_testing|add_test|gtest_discover_tests)\s*\(")
    if line is None:
        return None
    return Runner("cmake -B build && cmake --build build && ctest --test-dir build", path, line)


def _make(
    repo: Repository, directory: str, names: set[str], kind: str, home: str, files: Sequence[str]
) -> Runner | None:
    for name in ("Makefile", "makefile", "GNUmakefile"):
        if name not in names:
            continue
        path = _join(directory, name)
        targets = ("bench", "benchmark") if kind == "benchmarks" else ("test", "check")
        for target in targets:
            line = _first_line(repo, path, rf"^{target}\s*:")
            if line is not None:
                make = "make" if not directory else f"make -C {directory}"
                return Runner(f"{make} {target}", path, line)
    return None


def _pytest(
    repo: Repository, directory: str, names: set[str], kind: str, home: str, files: Sequence[str]
) -> Runner | None:
    if kind == "examples":
        return None
    for name, pattern in _PYTEST_CONFIG:
        if name in names:
            path = _join(directory, name)
            line = _first_line(repo, path, pattern)
            if line is not None:
                return Runner(f"pytest {home}".rstrip(), path, line)
    return None


def _conftest(
    repo: Repository, directory: str, names: set[str], kind: str, home: str, files: Sequence[str]
) -> Runner | None:
    """No pytest configuration, but a ``conftest.py``: pytest all the same."""
    if kind == "examples" or "conftest.py" not in names:
        return None
    if not any(f.endswith(".py") for f in files):
        return None
    return Runner(f"pytest {home}".rstrip(), _join(directory, "conftest.py"), 1)


_PYTEST_CONFIG = (
    ("pytest.ini", r"^\[pytest\]"),
    ("pyproject.toml", r"^\[tool\.pytest"),
    ("setup.cfg", r"^\[tool:pytest\]"),
    ("tox.ini", r"^\[pytest\]|^commands\s*=.*pytest"),
)

_RULES: dict[str, tuple[Rule, ...]] = {
    "rust": (_cargo,),
    "go": (_go,),
    "javascript": (_npm,),
    "typescript": (_npm,),
    "tsx": (_npm,),
    "java": (_maven,),
    "kotlin": (_maven,),
    "csharp": (_dotnet,),
    "c": (_cmake,),
    "cpp": (_cmake,),
    "python": (_pytest,),
}
#: When no rule of the language applies, from any folder: a Makefile's own test target,
#: a ``conftest.py``.
_LATE: tuple[Rule, ...] = (_make, _conftest)


def _by_convention(kind: str, home: str, files: Sequence[str], language: str) -> Runner:
    """No build file says: the language's usual command."""
    first = sorted(files)[0] if files else home
    if language == "python":
        tests = kind == "tests" or any(
            posixpath.basename(f).startswith(("test_", "bench_")) for f in files
        )
        return Runner(f"pytest {home}".rstrip() if tests else f"python {first}")
    if language == "go":
        return Runner(f"go test {_target(home)}")
    if language == "rust":
        return Runner("cargo test" if kind == "tests" else f"cargo run --example {first}")
    if language in ("javascript", "typescript", "tsx"):
        return Runner(f"node --test {home}".rstrip() if kind == "tests" else f"node {first}")
    return Runner(f"see the build files for how to run {first}")
