"""How a file's path maps to the module name its language gives it.

Component qualified names start with the module name, and import resolution works by
inverting this mapping, so both sides use these functions:

* Python: the dotted path from the top-most directory that is still a package (has an
  ``__init__.py``): ``src/cocowiki/index/files.py`` -> ``cocowiki.index.files``.
* Rust: ``crate`` plus the path under the crate's ``src/`` (``lib.rs``, ``main.rs`` and
  ``mod.rs`` name their directory): ``src/net/mod.rs`` -> ``crate::net``.
* Go: the package import path, from the nearest ``go.mod`` above the file's directory
  (the directory path when there is none).
* Java and C#: empty here; the extractor reads the ``package``/``namespace`` declaration.
* JavaScript, TypeScript, C, C++: the path without its extension.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping


def python_module_name(path: str, packages: frozenset[str]) -> str:
    """Dotted module name; ``packages`` holds the directories that have an ``__init__.py``."""
    directory, filename = posixpath.split(path)
    stem = filename.rsplit(".", 1)[0]
    parts = [] if stem == "__init__" else [stem]
    while directory and directory in packages:
        directory, name = posixpath.split(directory)
        parts.append(name)
    parts.reverse()
    return ".".join(parts) if parts else posixpath.basename(posixpath.dirname(path)) or stem


def rust_crate_root(path: str) -> str:
    """The directory a file's module path is relative to (its crate's ``src``)."""
    parts = path.split("/")[:-1]
    if "src" in parts:
        index = len(parts) - 1 - parts[::-1].index("src")
        return "/".join(parts[: index + 1])
    return "/".join(parts)


def rust_module_name(path: str) -> str:
    """``crate::a::b`` for ``<root>/a/b.rs``, ``<root>/a/b/mod.rs`` and the like."""
    root = rust_crate_root(path)
    relative = path[len(root) + 1 :] if root else path
    parts = relative.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    parts = parts[:-1] if stem in ("mod", "lib", "main") else [*parts[:-1], stem]
    if len(parts) == 1 and not root and stem not in ("mod", "lib", "main"):
        parts = []  # a lone file outside ``src`` is a crate root itself
    return "::".join(["crate", *parts])


def go_modules(files: Mapping[str, str]) -> dict[str, str]:
    """Module path per directory holding a ``go.mod``, from ``{path: contents}``."""
    modules: dict[str, str] = {}
    for path, text in files.items():
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] == "module":
                modules[posixpath.dirname(path)] = words[1].strip('"')
                break
    return modules


def go_package_path(path: str, modules: Mapping[str, str]) -> str:
    """The import path of the package a Go file belongs to."""
    directory = posixpath.dirname(path)
    probe = directory
    while True:
        if probe in modules:
            relative = directory[len(probe) :].lstrip("/")
            return f"{modules[probe]}/{relative}" if relative else modules[probe]
        if not probe:
            return directory
        probe = posixpath.dirname(probe)


def module_name(
    path: str, language: str, packages: frozenset[str], go_module_paths: Mapping[str, str]
) -> str:
    """The module name of a file for its language (see the module docstring)."""
    if language == "python":
        return python_module_name(path, packages)
    if language == "rust":
        return rust_module_name(path)
    if language == "go":
        return go_package_path(path, go_module_paths)
    if language in ("java", "csharp"):
        return ""
    return path.rsplit(".", 1)[0] if "." in posixpath.basename(path) else path


def python_packages(paths: Iterable[str]) -> frozenset[str]:
    """Directories that contain an ``__init__.py`` (or ``.pyi``)."""
    return frozenset(
        posixpath.dirname(path)
        for path in paths
        if posixpath.basename(path) in ("__init__.py", "__init__.pyi")
    )
