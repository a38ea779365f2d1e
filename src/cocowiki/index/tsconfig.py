"""TypeScript/JavaScript path aliases, from ``tsconfig.json`` and ``jsconfig.json``.

``import { api } from "@/lib/api"`` names a file of the repository when the nearest
config above the importing file maps ``@/*`` to ``src/*`` in ``compilerOptions.paths``;
``import x from "components/Button"`` does when ``baseUrl`` is ``src``. The compiler's
rules, as far as indexing needs them:

* the config that applies to a file is the nearest ``tsconfig.json`` or
  ``jsconfig.json`` in its folder or above;
* ``extends`` with a relative path is followed one level: the base's ``baseUrl`` and
  ``paths`` apply unless the config sets its own, relative to the base's folder;
* ``paths`` targets are relative to ``baseUrl``, or to the config's folder without one;
  the pattern with the longest prefix before its ``*`` wins, its targets tried in order.

Configs are JSON with comments and trailing commas; one that still does not parse is
ignored (the imports it would map stay unresolved, as the compiler would fail on them).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CONFIG_NAMES = ("tsconfig.json", "jsconfig.json")
_COMMENT_OR_STRING = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def is_config(path: str) -> bool:
    """Whether a file is one this module reads (a config, or a base one may extend)."""
    name = posixpath.basename(path)
    return name.endswith(".json") and name.startswith(("tsconfig", "jsconfig"))


@dataclass(frozen=True, slots=True)
class PathAliases:
    """One config's mapping: ``base`` (``baseUrl``, repository-relative, None when
    unset) and ``patterns`` (``(pattern, targets)``, targets repository-relative)."""

    base: str | None
    patterns: tuple[tuple[str, tuple[str, ...]], ...]

    def candidates(self, specifier: str) -> list[str]:
        """Repository-relative paths (before extension lookup) ``specifier`` may name."""
        found: list[str] = []
        best = -1
        for pattern, targets in self.patterns:
            prefix, star, suffix = pattern.partition("*")
            if star:
                matches = (
                    specifier.startswith(prefix)
                    and specifier.endswith(suffix)
                    and len(specifier) >= len(prefix) + len(suffix)
                )
                middle = specifier[len(prefix) : len(specifier) - len(suffix)]
            else:
                matches, middle = specifier == pattern, ""
            length = len(prefix) if star else len(pattern) + 1  # an exact match wins
            if matches and length > best:
                best = length
                found = [_normal(target.replace("*", middle, 1)) for target in targets]
        if self.base is not None:
            found.append(_normal(posixpath.join(self.base, specifier)))
        return found


def load_aliases(texts: Mapping[str, str]) -> dict[str, PathAliases]:
    """Each config's aliases by the folder it applies to, from ``{path: contents}``."""
    parsed = {path: _parse(text) for path, text in texts.items()}
    aliases: dict[str, PathAliases] = {}
    for path in sorted(parsed):
        if posixpath.basename(path) not in CONFIG_NAMES:
            continue
        folder = posixpath.dirname(path)
        if folder in aliases:
            continue  # tsconfig.json over jsconfig.json (sorted first)
        options = _options(path, parsed)
        if options is not None:
            aliases[folder] = options
    return aliases


def aliases_for(path: str, aliases: Mapping[str, PathAliases]) -> PathAliases | None:
    """The aliases of the nearest config in ``path``'s folder or above it."""
    folder = posixpath.dirname(path)
    while True:
        found = aliases.get(folder)
        if found is not None or not folder:
            return found
        folder = posixpath.dirname(folder)


def _options(path: str, parsed: Mapping[str, dict[str, Any] | None]) -> PathAliases | None:
    config = parsed.get(path)
    if config is None:
        return None
    own = _compiler_options(config)
    folder = posixpath.dirname(path)
    base_folder = folder
    inherited: dict[str, Any] = {}
    extends = config.get("extends")
    if isinstance(extends, str) and extends.startswith("."):
        base_path = _normal(posixpath.join(folder, extends))
        if not base_path.endswith(".json"):
            base_path += ".json"
        parent = parsed.get(base_path)
        if parent is not None:
            inherited = _compiler_options(parent)
            base_folder = posixpath.dirname(base_path)
    base_url, url_folder = own.get("baseUrl"), folder
    if not isinstance(base_url, str):
        base_url, url_folder = inherited.get("baseUrl"), base_folder
    paths, paths_folder = own.get("paths"), folder
    if not isinstance(paths, dict):
        paths, paths_folder = inherited.get("paths"), base_folder
    base = _normal(posixpath.join(url_folder, base_url)) if isinstance(base_url, str) else None
    relative_to = base if base is not None else paths_folder
    patterns = tuple(
        (pattern, tuple(_normal(posixpath.join(relative_to, t)) for t in targets))
        for pattern, targets in (paths or {}).items()
        if isinstance(pattern, str)
        and isinstance(targets, list)
        and all(isinstance(t, str) for t in targets)
    )
    if base is None and not patterns:
        return None
    return PathAliases(base, patterns)


def _compiler_options(config: dict[str, Any]) -> dict[str, Any]:
    options = config.get("compilerOptions")
    return options if isinstance(options, dict) else {}


def _parse(text: str) -> dict[str, Any] | None:
    """A config's JSON, comments and trailing commas allowed; None when unreadable."""
    stripped = _COMMENT_OR_STRING.sub(
        lambda match: match.group(0) if match.group(0).startswith('"') else "", text
    )
    try:
        value = json.loads(_TRAILING_COMMA.sub(r"\1", stripped))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _normal(path: str) -> str:
    normal = posixpath.normpath(path)
    return "" if normal == "." else normal
