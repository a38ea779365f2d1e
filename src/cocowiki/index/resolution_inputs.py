"""What resolving imports reads besides the source files: the repository's configs.

Today that is the TypeScript/JavaScript path aliases (:mod:`.tsconfig`); Go module paths
and Python packages come into module names (:mod:`.naming`) instead. A file's resolution
depends on the config that applies to it, so that config is part of the file's parse key
(:meth:`ResolutionInputs.parse_key`): when it changes, the files it applies to are
parsed and resolved again on the next incremental index, and only those.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .languages import FAMILIES
from .tsconfig import PathAliases, aliases_for, is_config, load_aliases


@dataclass(frozen=True, slots=True)
class ResolutionInputs:
    """``ts_aliases``: each TS/JS config's aliases by the folder it applies to."""

    ts_aliases: Mapping[str, PathAliases] = field(default_factory=dict)

    @classmethod
    def read(
        cls, listed: Iterable[str], read: Callable[[list[str]], Mapping[str, str]]
    ) -> ResolutionInputs:
        """The inputs of a repository whose files are ``listed``; ``read`` gives the
        contents of the few it needs (``{path: text}``)."""
        configs = [path for path in listed if is_config(path)]
        return cls(load_aliases(read(configs)) if configs else {})

    def aliases(self, path: str) -> PathAliases | None:
        """The path aliases that apply to a JS/TS file (None: no config maps any)."""
        return aliases_for(path, self.ts_aliases)

    def parse_key(self, path: str, language: str, module_name: str) -> str:
        """What a file's cached rows are valid for: its module name, and for a JS/TS
        file under a config with aliases, a digest of those aliases."""
        if FAMILIES.get(language, language) != "js":
            return module_name
        aliases = self.aliases(path)
        if aliases is None:
            return module_name
        digest = hashlib.sha256(repr(aliases).encode()).hexdigest()[:16]
        return f"{module_name} (aliases {digest})"
