"""The first cut of the module tree: the repository's directories, then small ones folded.

Packages in every supported language are directories (Python packages, Rust modules, Go
packages, Java and C# packages, JS/TS folders), so the directory tree is where the plan
starts. Three shapes are smoothed out before communities are considered:

* a folder that only holds the code (``src/``, ``lib/``, ``pkg/``: :data:`HOLDERS`) is no
  level of its own: its files and subdirectories belong to its parent, and so does a
  package that is alone in it (``src/mypkg/``), or alone at the repository's top next to
  a few loose files (``setup.py``, ``build.rs``): the first level under the overview is
  the repository's real top modules;
* a directory whose files, subdirectories included, hold fewer tokens than
  ``min_tokens`` does not deserve a page: its files join its parent's page;
* a chain of directories with nothing but one subdirectory each
  (``main/java/com/example``) is one module.

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
    is set once the tree's shape is final. ``part``: a part of a split module (named
    after its components, not a directory); ``kind``: as :attr:`.model.Module.kind`.
    """

    path: str
    title: str
    files: list[str] = field(default_factory=list)
    children: list[Draft] = field(default_factory=list)
    id_path: str = ""
    module_id: str = ""
    part: bool = False
    kind: str = "code"

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


#: Folder names that hold a project's code without meaning anything of their own.
#: ``internal`` (Go's visibility boundary) and ``app`` (a router in several web
#: frameworks) do mean something, and are kept.
HOLDERS = frozenset({"src", "lib", "source", "sources", "pkg"})


def lift_holders(draft: Draft, tokens: Mapping[str, int], min_tokens: int) -> None:
    """Dissolve holder folders into their parents, innermost first; then, at the root, a
    lone top package whose loose neighbours hold fewer than ``min_tokens``."""
    for child in draft.children:
        lift_holders(child, tokens, min_tokens)
    children: list[Draft] = []
    for child in draft.children:
        if posixpath.basename(child.path).lower() in HOLDERS:
            _lift_lone(child)
            draft.files.extend(child.files)
            children.extend(child.children)
        else:
            children.append(child)
    draft.children = sorted(children, key=lambda d: d.path)
    draft.files.sort()
    while not draft.path and len(draft.children) == 1:
        if draft.files and sum(tokens[path] for path in draft.files) >= min_tokens:
            break
        _absorb(draft, draft.children[0])


def _lift_lone(draft: Draft) -> None:
    """Take in the contents of a chain of lone subdirectories with no files of their own
    above them (``src/mypkg/``, ``src/main/java/com/example/``)."""
    while not draft.files and len(draft.children) == 1:
        _absorb(draft, draft.children[0])


def _absorb(draft: Draft, child: Draft) -> None:
    draft.children.remove(child)
    draft.files = sorted([*draft.files, *child.files])
    draft.children = sorted([*draft.children, *child.children], key=lambda d: d.path)


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
            child = child.children[0]
        draft.children[position] = child
        collapse_chains(child)
