"""The first cut of the module tree: the repository's directories, then small ones folded.

Packages in every supported language are directories (Python packages, Rust modules, Go
packages, Java and C# packages, JS/TS folders), so the directory tree is where the plan
starts. Two shapes are smoothed out before communities are considered:

* a directory whose files, subdirectories included, hold fewer tokens than
  ``min_tokens`` does not deserve a page: its files join its parent's page;
* a chain of directories with nothing but one subdirectory each
  (``src/main/java/com/example``) is one module, titled by the whole chain.

A file named like a sibling directory (``src/net.rs`` next to ``src/net/``, ``utils.ts``
next to ``utils/``) is that directory's module root and starts on its page.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(slots=True)
class Draft:
    """A module while the tree is being shaped: mutable, without an id yet.

    ``id_path`` is what the id derives from: the directory for a directory module, the
    directory plus the largest file's stem for a part of a split module; ``module_id``
    is set once the tree's shape is final.
    """

    path: str
    title: str
    files: list[str] = field(default_factory=list)
    children: list[Draft] = field(default_factory=list)
    id_path: str = ""
    module_id: str = ""

    def walk(self) -> Iterator[Draft]:
        """This draft and all below it, parents before children."""
        yield self
        for child in self.children:
            yield from child.walk()

    def all_files(self) -> list[str]:
        return [path for draft in self.walk() for path in draft.files]


def directory_tree(paths: Iterable[str], title: str) -> Draft:
    """One draft per directory that holds (or leads to) a file, children sorted by path."""
    files = sorted(paths)
    directories = {posixpath.dirname(path) for path in files}
    for directory in list(directories):
        while directory:
            directory = posixpath.dirname(directory)
            directories.add(directory)
    root = Draft(path="", title=title)
    drafts = {"": root}
    for directory in sorted(directories - {""}):
        draft = Draft(path=directory, title=posixpath.basename(directory), id_path=directory)
        drafts[directory] = draft
        drafts[posixpath.dirname(directory)].children.append(draft)
    for path in files:
        drafts[_home_directory(path, directories)].files.append(path)
    return root


def _home_directory(path: str, directories: set[str]) -> str:
    stem_directory = posixpath.splitext(path)[0]
    if stem_directory != path and stem_directory in directories:
        return stem_directory
    return posixpath.dirname(path)


def fold_small(draft: Draft, tokens: Mapping[str, int], min_tokens: int) -> tuple[int, int]:
    """Fold children below ``min_tokens`` (whole subtrees) into their parent's files.

    Works bottom-up, so a directory of many small subdirectories gathers their files and
    may then be large enough to keep. Returns ``(subtree tokens, modules folded)``.
    """
    total = sum(tokens[path] for path in draft.files)
    folded = 0
    kept: list[Draft] = []
    for child in draft.children:
        child_tokens, child_folded = fold_small(child, tokens, min_tokens)
        total += child_tokens
        folded += child_folded
        if child_tokens < min_tokens:
            draft.files.extend(child.all_files())
            folded += 1
        else:
            kept.append(child)
    draft.files.sort()
    draft.children = kept
    return total, folded


def collapse_chains(draft: Draft) -> None:
    """Replace each module with no files and a single child by that child (not the root)."""
    for position, child in enumerate(draft.children):
        while not child.files and len(child.children) == 1:
            only = child.children[0]
            only.title = f"{child.title}/{only.title}"
            child = only
        draft.children[position] = child
        collapse_chains(child)
