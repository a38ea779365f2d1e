"""Rust crates by the names other code writes for them, from each ``Cargo.toml``.

An integration test, an example, a benchmark or another crate of a workspace refers to
a library crate by its name: ``use tokio::sync::Mutex``, ``mycrate::run()``. The name
is the ``[lib] name`` when the manifest sets one, else the ``[package] name`` with ``-``
written ``_``; it names the root module of the library (``[lib] path``, by default
``src/lib.rs`` beside the manifest), which must be a file of the repository. A
workspace's members each have their own ``Cargo.toml``, read the same way (a manifest
with only a ``[workspace]`` table declares no crate). A manifest that does not parse
declares nothing.

Two crates of one name (a vendored copy, a fixture) are told apart by distance: the
one nearest the file that names it wins.
"""

from __future__ import annotations

import posixpath
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from .naming import rust_crate_root, rust_module_name

MANIFEST = "Cargo.toml"


def is_manifest(path: str) -> bool:
    """Whether a file is a Cargo manifest."""
    return posixpath.basename(path) == MANIFEST


@dataclass(frozen=True, slots=True, order=True)
class Crate:
    """A library crate: the ``name`` code writes for it, the ``root`` its module paths
    are relative to (:func:`~.naming.rust_crate_root` of its root file) and the name the
    index gives its root module (``crate``, or ``crate::app`` for a ``[lib] path`` of
    ``src/app.rs``)."""

    name: str
    root: str
    module: str = "crate"


def load_crates(texts: Mapping[str, str], listed: Collection[str]) -> tuple[Crate, ...]:
    """The library crates the manifests ``{path: contents}`` declare whose root module
    is among the ``listed`` files, sorted."""
    crates: set[Crate] = set()
    for path, text in texts.items():
        crate = _library(path, text, listed)
        if crate is not None:
            crates.add(crate)
    return tuple(sorted(crates))


def find_crate(name: str, near: str, crates: tuple[Crate, ...]) -> Crate | None:
    """The crate called ``name`` nearest the folder ``near`` (None: no crate of the
    repository has that name)."""
    named = [crate for crate in crates if crate.name == name]
    if len(named) < 2:
        return named[0] if named else None
    return min(named, key=lambda crate: (_distance(crate.root, near), crate.root))


def _library(path: str, text: str, listed: Collection[str]) -> Crate | None:
    try:
        manifest = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeError):
        return None
    package = manifest.get("package")
    lib = manifest.get("lib")
    lib = lib if isinstance(lib, dict) else {}
    name = lib.get("name")
    if not isinstance(name, str):
        name = package.get("name") if isinstance(package, dict) else None
    if not isinstance(name, str) or not name:
        return None
    folder = posixpath.dirname(path)
    lib_path = lib.get("path")
    relative = lib_path if isinstance(lib_path, str) else "src/lib.rs"
    root_file = posixpath.normpath(posixpath.join(folder, relative))
    if root_file not in listed or not root_file.endswith(".rs"):
        return None
    return Crate(name.replace("-", "_"), rust_crate_root(root_file), rust_module_name(root_file))


def _distance(a: str, b: str) -> int:
    left = [part for part in a.split("/") if part]
    right = [part for part in b.split("/") if part]
    common = 0
    for one, other in zip(left, right, strict=False):
        if one != other:
            break
        common += 1
    return len(left) + len(right) - 2 * common
