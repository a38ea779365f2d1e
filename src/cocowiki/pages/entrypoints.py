"""Where execution of a repository can start, found from its code and its package manifests.

Four kinds, each cited at the line that declares it:

* ``main_function``: a function named ``main`` (C, C++, Go, Rust, Python, JS/TS), or a
  static ``main``/``Main`` method (Java, C#);
* ``script_guard``: a Python ``if __name__ == "__main__":`` line;
* ``console_script``: ``[project.scripts]`` or ``[tool.poetry.scripts]`` of a
  ``pyproject.toml``, resolved to the function it names when the index has it;
* ``package_bin`` / ``cargo_bin``: ``bin`` of a ``package.json``, ``[[bin]]`` of a
  ``Cargo.toml``, resolved to the file they name.

Manifests are not source: the index lists them among its exclusions (``unsupported``),
which is where they are found, so no extra walk of the repository is needed.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Collection, Iterable, Iterator
from pathlib import PurePosixPath
from typing import Any

from ..index.model import Component, ComponentKind
from .artifacts import EntryPoint
from .facts import RepositoryFacts

#: A Python ``__main__`` guard at the start of a line.
SCRIPT_GUARD = r"^if\s+__name__\s*==\s*['\"]__main__['\"]\s*:"
_SCRIPT_GUARD = re.compile(SCRIPT_GUARD)
_MANIFESTS = ("pyproject.toml", "package.json", "Cargo.toml")


#: Kinds found in the code of one file (the others are found in manifests).
FILE_KINDS = frozenset({"main_function", "script_guard"})


def find_entry_points(
    facts: RepositoryFacts,
    previous: Iterable[EntryPoint] = (),
    files: Collection[str] | None = None,
) -> list[EntryPoint]:
    """Every entry point of the repository, sorted by kind, file and line.

    With ``files``, only those files' code is searched again: the entry points of
    ``previous`` found in the code of other files are kept (a file's main functions and
    script guards depend on that file alone), and the manifests are read again.
    """
    if files is None:
        paths = list(_indexed(facts))
        found = []
    else:
        paths = [path for path in sorted(files) if path in facts.files]
        found = [e for e in previous if e.kind in FILE_KINDS and e.citation.path not in files]
    found += [*_main_functions(facts, paths), *_script_guards(facts, paths)]
    for path in facts.listed:
        if is_manifest(path) and facts.readable(path):
            found.extend(_manifest_entries(facts, path))
    return sorted(found, key=lambda e: (e.kind, e.citation.path, e.citation.start, e.name))


def is_manifest(path: str) -> bool:
    return PurePosixPath(path).name in _MANIFESTS


def is_main(component: Component) -> bool:
    if component.kind == ComponentKind.FUNCTION:
        return component.name == "main"
    return (
        component.kind == ComponentKind.METHOD
        and component.name in ("main", "Main")
        and "static" in component.signature.split()
    )


def _indexed(facts: RepositoryFacts) -> Iterator[str]:
    """The indexed files, in the index's order, each looked up in the facts' tables (so the
    build graph records the search as reading each of them, not the whole index)."""
    return (path for path in facts.listed if path in facts.files)


def _components(facts: RepositoryFacts) -> Iterator[Component]:
    """The index's components in its order, a file at a time through ``by_file``."""
    for path in _indexed(facts):
        yield from facts.by_file.get(path, [])


def _main_functions(facts: RepositoryFacts, paths: Iterable[str]) -> Iterator[EntryPoint]:
    for component in (c for path in paths for c in facts.by_file.get(path, [])):
        if is_main(component):
            yield EntryPoint(
                kind="main_function",
                name=component.qualified_name,
                component_id=component.id,
                citation=facts.cite(component.path, component.start_line),
            )


def _script_guards(facts: RepositoryFacts, paths: Iterable[str]) -> Iterator[EntryPoint]:
    for path in paths:
        source = facts.files[path]
        if source.language != "python":
            continue
        for match in facts.explorer.grep_file(_SCRIPT_GUARD, source.path):
            module = facts.components.get(source.path)
            yield EntryPoint(
                kind="script_guard",
                name=source.module_name,
                component_id=module.id if module else None,
                citation=facts.cite(source.path, match.line),
            )


def _manifest_entries(facts: RepositoryFacts, path: str) -> Iterator[EntryPoint]:
    text = facts.reader.read_text(path)
    lines = facts.reader.lines(path)
    base = PurePosixPath(path).parent
    try:
        data: object = json.loads(text) if path.endswith(".json") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError):
        return
    if not isinstance(data, dict):
        return
    name = PurePosixPath(path).name
    if name == "pyproject.toml":
        scripts = dict(_table(data, "project", "scripts"))
        scripts.update(_table(data, "tool", "poetry", "scripts"))
        for script, target in sorted(scripts.items()):
            if isinstance(target, str):
                yield EntryPoint(
                    kind="console_script",
                    name=f"{script} = {target}",
                    component_id=_python_target(facts, target),
                    citation=facts.cite(path, _line_of(lines, script, "=")),
                )
    elif name == "package.json":
        bins = data.get("bin")
        if isinstance(bins, str):
            bins = {str(data.get("name", "bin")): bins}
        if isinstance(bins, dict):
            for script, target in sorted(bins.items()):
                if isinstance(target, str):
                    yield EntryPoint(
                        kind="package_bin",
                        name=f"{script} -> {target}",
                        component_id=_file_target(facts, base, target),
                        citation=facts.cite(path, _line_of(lines, script, ":")),
                    )
    else:
        for entry in data.get("bin", []) if isinstance(data.get("bin"), list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                target = str(entry.get("path", f"src/bin/{entry['name']}.rs"))
                yield EntryPoint(
                    kind="cargo_bin",
                    name=f"{entry['name']} -> {target}",
                    component_id=_file_target(facts, base, target),
                    citation=facts.cite(path, _line_of(lines, entry["name"], "=", value=True)),
                )


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return data


def _line_of(lines: list[str], key: str, separator: str, *, value: bool = False) -> int:
    """The first line declaring ``key`` (as a key, or as a quoted value with ``value``)."""
    quoted = re.escape(key)
    pattern = (
        rf"=\s*[\"']{quoted}[\"']"
        if value
        else rf"^\s*[\"']?{quoted}[\"']?\s*{re.escape(separator)}"
    )
    compiled = re.compile(pattern)
    for number, line in enumerate(lines, start=1):
        if compiled.search(line):
            return number
    return 1


def _python_target(facts: RepositoryFacts, target: str) -> str | None:
    """``pkg.mod:func`` (extras and spaces allowed) to the component it names."""
    reference = target.split("[", 1)[0].strip()
    qualified = reference.replace(":", ".")
    for component in _components(facts):
        if component.qualified_name == qualified:
            return component.id
    return None


def _file_target(facts: RepositoryFacts, base: PurePosixPath, target: str) -> str | None:
    relative = PurePosixPath(base, target.removeprefix("./")).as_posix()
    if relative in facts.files:
        main = f"{relative}#main"
        return main if main in facts.components else relative
    return None
