"""The knobs of indexing, in one immutable value that ``cw init``'s ``config.toml`` maps onto.

The defaults suit an unknown repository: every supported language, files up to 1 MiB,
the usual vendored directory names. The config is part of the catalog's fingerprint, so
changing it makes the next run rewrite the catalog.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

#: Directory names whose contents are someone else's code, checked in.
DEFAULT_VENDORED_DIRS: tuple[str, ...] = (
    "vendor",
    "vendored",
    "third_party",
    "third-party",
    "thirdparty",
    "3rdparty",
    "node_modules",
    "bower_components",
    "site-packages",
    "Pods",
    "Carthage",
)

#: Directory names never worth walking into when the repository is not a git checkout.
DEFAULT_SKIPPED_DIRS: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".cocowiki",
    ".tokimon",
    ".idea",
    ".vscode",
    "target",
    "build",
    "dist",
)


@dataclass(frozen=True, slots=True)
class IndexConfig:
    """How to index a repository.

    * ``include``/``exclude``: glob patterns (``fnmatch`` on the repository-relative path,
      ``**`` allowed); when ``include`` is non-empty only matching files are indexed.
    * ``languages``: language names to index (see :mod:`.languages`); empty means all.
    * ``max_file_bytes``: files larger than this are excluded as ``too_large``.
    * ``minified_line_length``: a JS/CSS file whose average line is longer than this is
      minified; ``minified_whitespace_ratio``: or one with a line over 1,000 characters
      and less whitespace than this share of its characters.
    * ``workers``: processes for parsing; ``0`` picks by the amount of work (one process
      for small repositories, where starting workers costs more than it saves).
    * ``use_git``: list files with git when the repository is a checkout.
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    max_file_bytes: int = 1024 * 1024
    minified_line_length: int = 250
    minified_whitespace_ratio: float = 0.08
    vendored_dirs: tuple[str, ...] = DEFAULT_VENDORED_DIRS
    skipped_dirs: tuple[str, ...] = DEFAULT_SKIPPED_DIRS
    workers: int = 0
    use_git: bool = True

    def fingerprint(self) -> str:
        """A canonical text of the settings that change what the index contains."""
        data = asdict(self)
        data.pop("workers")
        return json.dumps(data, sort_keys=True)
