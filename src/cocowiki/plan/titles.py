"""Titles a person would give the pages: the project's name, module paths, the names a
part of a split module is known by.

* the root: the project's name from its manifest (``Cargo.toml``, ``pyproject.toml``,
  ``package.json``, ``go.mod``, Maven's ``pom.xml``, Gradle's ``settings.gradle``, a C#
  solution or project), else the repository folder's name;
* a directory module: its module path as its language writes it (``runtime::scheduler``
  in Rust, ``click.shell`` in Python, ``pkg/util`` in Go and elsewhere, holder folders
  such as ``src/`` left out where the language leaves them out);
* a part of a split module: the names of its two most important components
  (:func:`~cocowiki.index.ranking.rank`: public and used from other files first), such as
  ``Command and Context``; its largest files' names when it declares nothing.

Titles are unique in a tree: one that names two modules gets the module's path added.
"""

from __future__ import annotations

import configparser
import json
import posixpath
import re
import tomllib
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath

from ..index.model import Component, ComponentKind
from ..index.naming import python_module_name, rust_crate_root
from ..index.ranking import is_minor
from .structure import HOLDERS, Draft

#: Components named in a part's title.
TITLE_NAMES = 2

#: Languages whose module names are their package declarations (dotted).
_DECLARED = frozenset({"java", "csharp", "kotlin"})


def project_name(repo: Path) -> str:
    """The name the project gives itself in its manifest, else its folder's name."""
    readers = (
        _cargo_name,
        _pyproject_name,
        _setup_cfg_name,
        _package_json_name,
        _go_module_name,
        _maven_name,
        _gradle_name,
        _dotnet_name,
    )
    for reader in readers:
        try:
            name = reader(repo)
        except (
            OSError,
            ValueError,
            TypeError,
            AttributeError,
            KeyError,
            configparser.Error,
            ElementTree.ParseError,
        ):
            continue
        if name:
            return name
    return repo.name


def _cargo_name(repo: Path) -> str:
    return str(tomllib.loads((repo / "Cargo.toml").read_text("utf-8"))["package"]["name"])


def _pyproject_name(repo: Path) -> str:
    data = tomllib.loads((repo / "pyproject.toml").read_text("utf-8"))
    project = data.get("project") or data.get("tool", {}).get("poetry", {})
    return str(project.get("name", ""))


def _setup_cfg_name(repo: Path) -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string((repo / "setup.cfg").read_text("utf-8"))
    return parser.get("metadata", "name", fallback="")


def _package_json_name(repo: Path) -> str:
    return str(json.loads((repo / "package.json").read_text("utf-8")).get("name", ""))


def _go_module_name(repo: Path) -> str:
    for line in (repo / "go.mod").read_text("utf-8").splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "module":
            parts = words[1].strip('"').split("/")
            major = len(parts) > 1 and parts[-1][:1] == "v" and parts[-1][1:].isdigit()
            return parts[-2] if major else parts[-1]
    return ""


#: Largest manifest read for a name (a ``pom.xml`` or a project file).
_MANIFEST_BYTES = 1 << 20
_GRADLE_NAME = re.compile(r"""\brootProject\.name\s*=\s*["']([^"'$]+)["']""")


def _maven_name(repo: Path) -> str:
    """The ``<name>`` of the root ``pom.xml``'s project, else its ``<artifactId>``
    (never the parent's; a value still holding a ``${property}`` is no name)."""
    project = _xml_root(repo / "pom.xml")
    values = {_local(child.tag): (child.text or "").strip() for child in project}
    for key in ("name", "artifactId"):
        value = values.get(key, "")
        if value and "${" not in value:
            return value
    return ""


def _gradle_name(repo: Path) -> str:
    """``rootProject.name`` of ``settings.gradle`` or ``settings.gradle.kts``."""
    for settings in ("settings.gradle.kts", "settings.gradle"):
        path = repo / settings
        if path.is_file():
            found = _GRADLE_NAME.search(path.read_text("utf-8", errors="replace"))
            if found:
                return found.group(1).strip()
    return ""


def _dotnet_name(repo: Path) -> str:
    """A C# solution's name (the ``.sln`` at the root, else in ``src/``), else that of
    the one project file there (its ``AssemblyName``, else the file's)."""
    for folder in (repo, repo / "src"):
        solutions = sorted(folder.glob("*.sln"))
        if solutions:
            return min(solutions, key=lambda path: (len(path.stem), path.stem)).stem
    for folder in (repo, repo / "src"):
        projects = sorted(folder.glob("*.csproj"))
        if len(projects) == 1:
            for element in _xml_root(projects[0]).iter():
                if _local(element.tag) == "AssemblyName" and element.text:
                    name = element.text.strip()
                    if name and "$(" not in name:
                        return name
            return projects[0].stem
    return ""


def _xml_root(path: Path) -> ElementTree.Element:
    with path.open("rb") as handle:
        data = handle.read(_MANIFEST_BYTES)
    if b"<!ENTITY" in data:
        raise ValueError(f"{path.name} declares entities")  # not expanded here
    return ElementTree.fromstring(data)


def _local(tag: object) -> str:
    """An XML tag without its namespace (``{http://maven...}name`` -> ``name``)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class Naming:
    """What directory titles are made from: each file's language and module name."""

    def __init__(self, languages: Mapping[str, str], module_names: Mapping[str, str]) -> None:
        self.languages = languages
        self.module_names = module_names
        self.packages = frozenset(
            posixpath.dirname(path)
            for path in languages
            if posixpath.basename(path) == "__init__.py"
        )

    def directory_title(self, draft: Draft) -> str:
        """The module path of a directory module, as its language writes it."""
        path = draft.path
        files = draft.all_files()
        language = Counter(self.languages.get(f, "") for f in files).most_common(1)
        spoken = language[0][0] if language else ""
        if spoken == "rust":
            return _rust_path(path)
        if spoken == "python" and path in self.packages:
            return python_module_name(f"{path}/__init__.py", self.packages)
        if spoken == "go":
            return path
        if spoken in _DECLARED:
            declared = {self.module_names.get(f, "") for f in draft.files}
            if len(declared) == 1 and (name := declared.pop()) and "/" not in name:
                return name
        return _without_holders(path)


def _rust_path(path: str) -> str:
    root = rust_crate_root(f"{path}/lib.rs")
    if root == path:
        return _without_holders(path)
    inner = path[len(root) + 1 :].split("/")
    crate = posixpath.dirname(root)
    return "::".join([posixpath.basename(crate), *inner] if crate else inner)


def _without_holders(path: str) -> str:
    parts = [part for part in path.split("/") if part.lower() not in HOLDERS]
    return "/".join(parts) or posixpath.basename(path)


def part_title(ranked: Sequence[Component], files: Sequence[str], tokens: Mapping[str, int]) -> str:
    """``A and B``: the two most important top-level names ``ranked`` (most important
    first) offers (a method or an impl's associated type is not what a part is about),
    else the stems of the two largest files."""
    names: list[str] = []
    for component in ranked:
        nested = component.parent_id not in (None, component.path)
        if nested or is_minor(component) or component.kind == ComponentKind.METHOD:
            continue
        if component.name not in names:
            names.append(component.name)
        if len(names) == TITLE_NAMES:
            break
    if not names:
        by_size = sorted(files, key=lambda path: (-tokens[path], path))
        names = [PurePath(path).stem for path in by_size[:TITLE_NAMES]]
    return " and ".join(names)


def make_unique(root: Draft) -> None:
    """Titles naming more than one module get the module's path (or id) added, so a
    title stays a name: ``Error and Result (src/io)``."""
    drafts = [draft for draft in root.walk() if draft is not root]
    for key in ("path", "module_id"):
        count = Counter(draft.title for draft in drafts)
        count[root.title] += 1
        for draft in drafts:
            if count[draft.title] > 1:
                where = getattr(draft, key) or draft.module_id
                draft.title = f"{draft.title.split(' (')[0]} ({where})"
