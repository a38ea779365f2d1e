"""What resolving imports reads besides the source files: the repository's configs.

Today that is the TypeScript/JavaScript path aliases (:mod:`.tsconfig`) and the Rust
library crates named in each ``Cargo.toml`` (:mod:`.cargo`); Go module paths and Python
packages come into module names (:mod:`.naming`) instead. A file's resolution
depends on the config that applies to it, so that config is part of the file's parse key
(:meth:`ResolutionInputs.parse_key`): when it changes, the files it applies to are
parsed and resolved again on the next incremental index, and only those. Any Rust file
may name any crate of the repository, so the crates (names and roots, not the rest of
the manifests) are part of every Rust file's key: renaming a package, adding or removing
a library re-resolves the Rust files, and editing a dependency list re-resolves nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .cargo import Crate, find_crate, is_manifest, load_crates
from .languages import FAMILIES
from .tsconfig import PathAliases, aliases_for, is_config, load_aliases


@dataclass(frozen=True, slots=True)
class ResolutionInputs:
    """``ts_aliases``: each TS/JS config's aliases by the folder it applies to;
    ``crates``: the Rust library crates, by the name code writes for them."""

    ts_aliases: Mapping[str, PathAliases] = field(default_factory=dict)
    crates: tuple[Crate, ...] = ()

    @classmethod
    def read(
        cls, listed: Iterable[str], read: Callable[[list[str]], Mapping[str, str]]
    ) -> ResolutionInputs:
        """The inputs of a repository whose files are ``listed``; ``read`` gives the
        contents of the few it needs (``{path: text}``)."""
        listed = list(listed)
        configs = [path for path in listed if is_config(path)]
        manifests = [path for path in listed if is_manifest(path)]
        aliases = load_aliases(read(configs)) if configs else {}
        crates = load_crates(read(manifests), frozenset(listed)) if manifests else ()
        return cls(aliases, crates)

    def aliases(self, path: str) -> PathAliases | None:
        """The path aliases that apply to a JS/TS file (None: no config maps any)."""
        return aliases_for(path, self.ts_aliases)

    def crate(self, name: str, near: str) -> Crate | None:
        """The Rust library crate code writes as ``name``, the one nearest the folder
        ``near`` when several have it (None: no crate of the repository)."""
        return find_crate(name, near, self.crates) if self.crates else None

    def parse_key(self, path: str, language: str, module_name: str) -> str:
        """What a file's cached rows are valid for: its module name, and for a JS/TS
        file under a config with aliases, a digest of those aliases; for a Rust file in
        a repository with library crates, a digest of the crates."""
        family = FAMILIES.get(language, language)
        if family == "rust" and self.crates:
            digest = hashlib.sha256(repr(self.crates).encode()).hexdigest()[:16]
            return f"{module_name} (crates {digest})"
        if family != "js":
            return module_name
        aliases = self.aliases(path)
        if aliases is None:
            return module_name
        digest = hashlib.sha256(repr(aliases).encode()).hexdigest()[:16]
        return f"{module_name} (aliases {digest})"
