"""Rust paths (``crate::loom::sync::Mutex``) to the files of the crate that hold them.

A Rust path names modules, and a module may expose a name it does not define: ``pub use
self::std::*`` makes every item of ``loom::std`` visible as ``loom::<item>``, and ``pub
use crate::loom::std::mutex::Mutex`` inside an inline ``mod sync { .. }`` makes
``loom::sync::Mutex`` the ``Mutex`` of ``mutex.rs``. So a path is walked segment by
segment from the crate root: a segment that is a module (a file by the ``foo.rs`` /
``foo/mod.rs`` convention, or an inline ``mod``) is entered; any other is looked up
among the ``use`` declarations of the module reached, named ones first, then globs, a
few levels deep. When the walk ends on a name no module defines or re-exports (an item
re-exported from ``std``, or a declaration hidden inside a macro), the module reached so
far is the answer, marked inexact.

A path may also start with another crate's name (``tokio::sync::Mutex`` in an
integration test, ``::mycrate::run`` in an example): when the repository has a library
crate of that name (:mod:`.cargo`), the walk starts at that crate's root module, and a
``pub use`` naming a crate continues the walk in it.

Modules are named as :mod:`.naming` names them (``crate::a::b``); crates are told apart
by their root directory (:func:`~.naming.rust_crate_root`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .cargo import Crate

#: How many ``use`` declarations a walk follows before giving up (cycles end there).
MAX_HOPS = 6
#: Path heads that name the crate being indexed, never another crate.
CRATE_HEADS = ("crate::", "self::", "super::", "$crate::")

Module = tuple[str, ...]
#: A module of one crate: the crate's root directory and the module's segments.
Place = tuple[str, Module]


@dataclass(frozen=True, slots=True)
class RustUse:
    """A ``use`` (or ``mod name;``) as written in a module: the name it binds (None for
    a glob ``*``) and the path it names."""

    module: Module
    name: str | None
    path: str


@dataclass(frozen=True, slots=True)
class RustTarget:
    """Where a path leads: the module's files, the item still to find there (None: the
    module itself) and whether every segment was accounted for."""

    files: tuple[str, ...]
    member: str | None
    exact: bool


def _no_crates(name: str, near: str) -> Crate | None:
    return None


class RustPaths:
    """Walks paths through one repository's Rust modules, read through lookups so that
    the whole-repository resolver and the catalog-backed one can share it:
    ``files_of(crate_root, module)`` (the files holding a module, in the index's order),
    ``uses_in(path)`` (a file's ``use`` declarations), ``defines(path, module, name)``
    (whether a file defines ``name`` directly in ``module``) and ``crate(name, near)``
    (the repository's library crate called ``name``, None when it has none)."""

    def __init__(
        self,
        files_of: Callable[[str, str], Sequence[str]],
        uses_in: Callable[[str], Sequence[RustUse]],
        defines: Callable[[str, str, str], bool],
        crate: Callable[[str, str], Crate | None] = _no_crates,
    ) -> None:
        self._files_of = files_of
        self._uses_in = uses_in
        self._defines = defines
        self._crate = crate

    def find(self, written: str, module: Module, root: str) -> RustTarget | None:
        """The target of ``written`` as seen from ``module`` of the crate at ``root``;
        None when the path names a crate outside the repository."""
        place = self.absolute(written, module, root)
        if place is None:
            return None
        return self._walk(place[1], place[0], 0)

    def names_crate(self, written: str, root: str) -> bool:
        """Whether ``written`` starts with the name of a library crate of the
        repository (``tokio::sync``, ``::mycrate``)."""
        head = written.removeprefix("::").split("::", 1)[0]
        return self._crate(head, root) is not None

    def absolute(self, written: str, module: Module, root: str) -> Place | None:
        """``written`` from a crate root (``("crate", ...)``) with that crate's root
        directory, or None for a path of a crate outside the repository (a bare head
        that is neither a child module of ``module`` nor a crate of the repository)."""
        extern = written.startswith("::")  # ``::name``: a crate, never a module
        segments = written.removeprefix("::").split("::")
        head = segments[0]
        if extern:
            pass
        elif head in ("crate", "$crate"):
            return root, ("crate", *segments[1:])
        elif head == "self":
            return root, (*module, *segments[1:])
        elif head == "super":
            up = list(module)
            while segments and segments[0] == "super":
                up = up[:-1] if len(up) > 1 else up
                segments = segments[1:]
            return root, (*up, *segments)
        elif self._module_files((*module, head), root):
            return root, (*module, *segments)
        other = self._crate(head, root)
        if other is not None:
            return other.root, (*other.module.split("::"), *segments[1:])
        return None

    def _module_files(self, module: Module, root: str) -> Sequence[str]:
        return self._files_of(root, "::".join(module))

    def _walk(self, path: Module, root: str, hops: int) -> RustTarget | None:
        module: Module = path[:1]
        for index in range(1, len(path)):
            segment = path[index]
            child = (*module, segment)
            if self._module_files(child, root):
                module = child
                continue
            files = tuple(self._module_files(module, root))
            if any(self._defines(file, "::".join(module), segment) for file in files):
                return RustTarget(files, segment, True)
            if hops < MAX_HOPS:
                found = self._through_uses(module, segment, path[index + 1 :], root, hops)
                if found is not None:
                    return found
            return RustTarget(files, segment, False) if files else None
        files = tuple(self._module_files(module, root))
        return RustTarget(files, None, True) if files else None

    def _through_uses(
        self, module: Module, segment: str, rest: Module, root: str, hops: int
    ) -> RustTarget | None:
        """``segment`` (then ``rest``) through the ``use`` declarations of ``module``: a
        named one binding it, else a glob whose module has it (exactly, or at least as a
        module)."""
        uses = [
            use
            for file in self._module_files(module, root)
            for use in self._uses_in(file)
            if use.module == module
        ]
        for use in uses:
            if use.name == segment:
                target = self.absolute(use.path, module, root)
                if target is not None and target != (root, (*module, segment)):
                    found = self._walk((*target[1], *rest), target[0], hops + 1)
                    if found is not None:
                        return found
        deeper: RustTarget | None = None
        for use in uses:
            if use.name is None:
                target = self.absolute(use.path, module, root)
                if target is not None and target != (root, module):
                    found = self._walk((*target[1], segment, *rest), target[0], hops + 1)
                    if found is not None and found.exact:
                        return found
                    if deeper is None and found is not None and found.member != segment:
                        deeper = found  # ``segment`` is a module there, its item unknown
        return deeper
