"""The build graph: every page a node, memoised by the digests of the inputs it read.

While a page is built, what it reads is recorded: the repository's files (through the
:class:`~.sources.SourceReader`), the index's tables (the components of a file, the
references from or into it, ...), the research lookups (through the
:class:`~.footprints.Explorer`), the module tree's entries, the one-line summaries of its
children's notebooks, its entry points and the tool itself. Each input is a *key*
(``"by_file:src/a.py"``) and its *digest*, and a page's keys and digests are kept in the
``build_nodes`` table of ``catalog.sqlite``.

The next build asks, for each page, children first, whether any of its inputs' digests
changed (red-green evaluation). Unchanged: the page is not computed at all, its files stay
as they are. Changed: it is computed again, and its files are rewritten only if their
bytes change. A parent reads only the title and summary of a child, so a child computed
again with the same summary leaves its parent green (early cutoff); the manifest and the
viewer are nodes over the pages' outputs in the same way.

The keys are recorded dynamically (whatever the computation touched), so a new question
a page asks of the index is tracked without a list to keep in step.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast, overload

from .. import __version__
from ..index.model import IndexResult, Reference
from ..index.store import IndexChanges
from ..plan.model import ModuleTree
from .artifacts import SCHEMA_VERSION, EntryPoint
from .facts import FactTable, RepositoryFacts
from .footprints import Explorer
from .rows import CatalogRows
from .sources import SourceError, SourceReader, sha256_text, span_text

#: Bumped when the meaning of a key or a record changes: every page is then recomputed.
GRAPH_VERSION = 2
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS build_nodes "
    "(node TEXT PRIMARY KEY, inputs TEXT NOT NULL, record TEXT NOT NULL)"
)
#: The node holding the state the last complete build ran on (index fingerprint, tree).
STATE_NODE = "state"
#: Tables of :class:`~.facts.RepositoryFacts` whose entries a page may read.
FACT_TABLES = (
    "files",
    "components",
    "by_file",
    "children_of",
    "refs_from_file",
    "refs_into_file",
    "module_of_file",
    "errors_by_file",
)
#: Kinds of keys that are functions of the index alone (unchanged when its fingerprint is).
INDEX_KINDS = frozenset(
    {"files", "components", "by_file", "children_of", "refs_from_file", "refs_into_file"}
    | {"errors_by_file", "languages", "listed"}
)
#: Kinds of index keys about one file (the argument), and about one component.
_FILE_KINDS = frozenset({"files", "by_file", "refs_from_file", "errors_by_file"})
_COMPONENT_KINDS = frozenset({"components", "children_of"})
#: Kinds of keys that are functions of the index and the module tree.
TREE_KINDS = frozenset({"module", "modules", "module_of_file"})
#: Tables whose records are tracked field by field (:class:`TrackedRecords`).
_RECORDS: dict[str, Callable[[RepositoryFacts], dict[str, Any]]] = {
    "files": lambda facts: facts.files,
    "modules": lambda facts: facts.tree.modules,
}
#: How the keys of research lookups over the index alone begin.
_INDEX_LOOKUPS = ('["symbol_lookup"', '["graph_lookup"')
#: A read of a file's line count, among the spans of :meth:`Inputs.touch_lines`.
LENGTH = (0, 0)
V = TypeVar("V")


def digest_of(value: object) -> str:
    """A short, stable digest of a value's ``repr`` (records are frozen dataclasses and
    pydantic models, whose ``repr`` lists every field)."""
    return hashlib.blake2b(repr(value).encode("utf-8"), digest_size=16).hexdigest()


def page_node(module_id: str) -> str:
    return f"page:{module_id}"


# store ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """A node as the last build left it: its inputs' digests and what it produced."""

    inputs: dict[str, str]
    record: dict[str, Any]


def load_graph(catalog: Path) -> dict[str, Node]:
    """The nodes stored in ``catalog`` (none when there is no catalog or no graph yet).

    The connection is read-write on purpose: opening it rolls back a transaction a killed
    build left half done, before the indexer may replace the file.
    """
    if not catalog.is_file():
        return {}
    try:
        connection = sqlite3.connect(catalog)
        try:
            rows = connection.execute("SELECT node, inputs, record FROM build_nodes").fetchall()
        finally:
            connection.close()
    except sqlite3.Error:
        return {}
    return {str(n): Node(json.loads(i), json.loads(r)) for n, i, r in rows}


class GraphStore:
    """The ``build_nodes`` table of the current catalog; each :meth:`put` is a transaction.

    The indexer rewrites ``catalog.sqlite`` whole when the index changes, which drops the
    table: :meth:`open` puts back the nodes read before indexing.
    """

    def __init__(self, connection: sqlite3.Connection, previous: dict[str, Node]) -> None:
        self.connection = connection
        self.previous = previous

    @classmethod
    def open(cls, catalog: Path, previous: dict[str, Node]) -> GraphStore:
        connection = sqlite3.connect(catalog)
        connection.execute("PRAGMA synchronous = NORMAL")
        with connection:
            connection.execute(_SCHEMA)
            (count,) = connection.execute("SELECT count(*) FROM build_nodes").fetchone()
            if count == 0 and previous:
                connection.executemany(
                    "INSERT INTO build_nodes VALUES (?, ?, ?)",
                    [(name, _dumps(n.inputs), _dumps(n.record)) for name, n in previous.items()],
                )
        return cls(connection, previous)

    def put(self, name: str, node: Node) -> None:
        self.put_all({name: node})

    def put_all(self, nodes: Mapping[str, Node]) -> None:
        """Store nodes in one transaction (a build killed before it keeps none of them);
        nodes equal to the stored ones are not written, so a clean rerun writes nothing."""
        rows = [
            (name, _dumps(node.inputs), _dumps(node.record))
            for name, node in nodes.items()
            if self.previous.get(name) != node
        ]
        if rows:
            with self.connection:
                self.connection.executemany(
                    "INSERT OR REPLACE INTO build_nodes VALUES (?, ?, ?)", rows
                )

    def drop(self, name: str) -> None:
        if name in self.previous:
            with self.connection:
                self.connection.execute("DELETE FROM build_nodes WHERE node = ?", (name,))

    def keep_only(self, names: Iterable[str]) -> None:
        """Forget the nodes of pages that are gone."""
        keep = set(names)
        stale = [name for name in self.previous if name not in keep]
        if not stale:
            return
        with self.connection:
            self.connection.executemany(
                "DELETE FROM build_nodes WHERE node = ?", [(name,) for name in stale]
            )

    def close(self) -> None:
        self.connection.close()


def _dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# recording -----------------------------------------------------------------------------------


class Inputs:
    """Records the keys a page reads and gives the current digest of any key.

    Digests are computed once per build and key. With ``stable`` kinds (the index, or the
    index and the tree, unchanged since the last complete build), keys of those kinds
    are known to be unchanged and are not recomputed.
    """

    def __init__(
        self,
        facts: RepositoryFacts,
        tool: str,
        index_fingerprint: str,
        stable: frozenset[str] = frozenset(),
        changes: IndexChanges | None = None,
    ) -> None:
        self.facts = facts
        self.tool = tool
        self.index_fingerprint = index_fingerprint
        self.stable = stable
        #: What changed in the index since the last complete build, when that is known
        #: and its kinds are not all stable: the keys it cannot touch are not recomputed.
        self.changes = changes
        self.entry_points: list[EntryPoint] = []
        #: The identity of the build's page writer (``writer:``, an input of every page).
        self.writer = "deterministic"
        #: The identity of the build's research scout (``scout:``), ``none`` without one.
        self.scout = "none"
        #: Digest of each page's child-visible notebook part (title, summary).
        self.summaries: dict[str, str] = {}
        #: The inputs and their digests of each page built in this run.
        self.recorded: dict[str, dict[str, str]] = {}
        self._recording: dict[str, None] | None = None
        #: The lines read of each file in the block being recorded (:data:`LENGTH`: its
        #: line count), made into one ``lines:`` key per file when the block ends.
        self._lines_read: dict[str, set[tuple[int, int]]] = {}
        self._digests: dict[str, str] = {}
        #: Each key's current digest as :meth:`changed` found it; None: known unchanged.
        self._current: dict[str, str | None] = {}
        self._into: dict[str, list[Reference]] | None = None
        self._into_read: dict[str, list[Reference] | None] = {}

    def touch(self, key: str) -> None:
        if self._recording is not None:
            self._recording[key] = None

    def touch_lines(self, path: str, span: tuple[int, int] | None = None) -> None:
        """Record that lines ``span`` (1-based, inclusive; :data:`LENGTH` for the line
        count) of ``path`` were read, or with no span that the file was opened."""
        if self._recording is not None:
            read = self._lines_read.setdefault(path, set())
            if span is not None:
                read.add(span)

    @contextlib.contextmanager
    def recording(self) -> Iterator[dict[str, None]]:
        """Record every key read inside the block; the lines read of a file become one
        key when the block ends (:func:`lines_key`)."""
        self._recording = keys = dict[str, None]()
        self._lines_read = {}
        try:
            yield keys
            keys.update((lines_key(p, read), None) for p, read in self._lines_read.items())
        finally:
            self._recording = None
            self._lines_read = {}

    def changed(self, inputs: Mapping[str, str]) -> Iterator[tuple[str, str, str]]:
        """``(key, recorded digest, current digest)`` for each input that changed."""
        current = self._current
        for key, old in inputs.items():
            new = current.get(key, "")
            if new == "":  # not asked yet this build (pages share most of their inputs)
                new = current[key] = None if self._stable(key) else self.digest(key)
            if new is not None and new != old:
                yield key, old, new

    def digests(self, keys: Iterable[str]) -> dict[str, str]:
        return {key: self.digest(key) for key in keys}

    def _stable(self, key: str) -> bool:
        kind, _, argument = key.partition(":")
        if kind == "lines":  # lines of an indexed file whose index entry is unchanged
            path = argument.rpartition(":")[0]
            return dict.__contains__(self.facts.files, path) and self._stable(
                f"files.digest:{path}"
            )
        if kind == "explore":  # the key is the JSON of the query, the tool's name first
            if not argument.startswith(_INDEX_LOOKUPS):
                return False
            if "files" in self.stable:
                return True
            return self.changes is not None and not _lookup_touched(self.changes, argument)
        table = kind.partition(".")[0]
        if table in self.stable:
            return True
        return (
            self.changes is not None
            and table in INDEX_KINDS
            and not _key_touched(self.changes, table, argument)
        )

    def digest(self, key: str) -> str:
        known = self._digests.get(key)
        if known is None:
            known = self._digests[key] = self._compute(key)
        return known

    def _compute(self, key: str) -> str:
        kind, _, argument = key.partition(":")
        facts = self.facts
        if kind == "file":
            return self.file_digest(argument)
        if kind == "lines":
            return self.lines_digest(argument)
        if kind in _RECORDS:  # whether the key is there; its fields are tracked apart
            return str(dict.__contains__(_RECORDS[kind](facts), argument))
        table, _, name = kind.partition(".")
        if table in _RECORDS:
            return digest_of(getattr(dict.get(_RECORDS[table](facts), argument), name, None))
        if kind in FACT_TABLES:
            return digest_of(getattr(facts, kind).get(argument))
        if kind == "module":  # a page's own module, all of it
            return digest_of(dict.get(_RECORDS["modules"](facts), argument))
        if kind == "explore":
            return self._lookup_digest(*json.loads(argument))
        if kind == "notebook":
            return self.summaries.get(argument, "missing")
        if kind == "entry_points":
            return digest_of(self.entry_points_of(argument))
        if kind == "languages":
            return languages_digest(facts.index, facts.rows)
        if kind == "listed":
            return digest_of(facts.listed)
        if kind == "tool":
            return self.tool
        if kind == "writer":
            return self.writer
        if kind == "scout":
            return self.scout
        return "unknown"

    def _lookup_digest(self, tool: str, *arguments: Any) -> str:
        """A research lookup's digest: of what its result is a function of, cheaper than
        running it (the files ``grep`` reads; for ``graph_lookup`` the references from, or
        into, the node's file: a superset of its edges, which the page depends on anyway),
        and of its whole result for the others. A Read is not a key of its own: its lines
        are read through the tracked reader, as a citation's are."""
        explorer = self.facts.explorer
        if tool == "graph_lookup":
            path = str(arguments[0]).split("#", 1)[0]
            if arguments[1] == "out":  # edges from a component start in its file
                return self.digest(f"refs_from_file:{path}")
            return digest_of(self._references_into(path))
        if tool == "grep":
            regex, paths = arguments
            matched = self._literal_file(paths) or Explorer.glob(explorer, paths)[0]
            return digest_of((regex, [(path, self.file_digest(path)) for path in matched]))
        return digest_of(getattr(explorer, tool)(*arguments))

    def _literal_file(self, pattern: str) -> list[str]:
        """What a pattern without wildcards that names an indexed file matches: that
        file (the index, made by this build, found it a regular file, not a symlink);
        nothing for any other pattern, to be globbed."""
        if not glob.has_magic(pattern) and dict.__contains__(self.facts.files, pattern):
            return [pattern]
        return []

    def _references_into(self, path: str) -> list[Reference] | None:
        """The references into ``path`` (by ``target_path`` and by the file of
        ``target_id``): of an index not loaded, read from the catalog a file at a time (an
        edit digests the lookups into a few files), else from a map made once per build."""
        rows = self.facts.rows
        if rows is not None:
            if path not in self._into_read:
                self._into_read[path] = rows.references_into(path) or None
            return self._into_read[path]
        if self._into is None:
            into: dict[str, list[Reference]] = {}
            for ref in self.facts.index.references:
                targets = {ref.target_path, (ref.target_id or "").split("#", 1)[0]}
                for target in targets - {None, ""}:
                    into.setdefault(str(target), []).append(ref)
            self._into = into
        return self._into.get(path)

    def lines_digest(self, argument: str) -> str:
        """The digest of a ``lines:PATH:SPEC`` key: one short digest per part of SPEC,
        joined by commas (so ``cw explain-dirty`` tells which span changed), ``readable``
        for a file opened and not read, the reason for one that cannot be read."""
        path, _, spec = argument.rpartition(":")
        try:
            lines = SourceReader.lines(self.facts.reader, path)  # the lines, not a view
        except SourceError as exc:
            return f"unreadable: {exc}"
        return ",".join(part_digest(lines, part) for part in spec.split(",") if part) or (
            "readable"
        )

    def file_digest(self, path: str) -> str:
        """SHA-256 of a file's bytes (the index's digest for an indexed file)."""
        source = dict.get(self.facts.files, path)
        if source is not None:
            return str(source.digest)
        return file_digest(self.facts.repo, path)

    def entry_points_of(self, module_id: str) -> list[EntryPoint]:
        """The entry points a page presents: all on the overview, else those in its files
        (the rule of :func:`~.dossier.build_dossier`)."""
        module = self.facts.tree.modules.get(module_id)
        if module is None:
            return []
        if module.parent is None:
            return self.entry_points
        files = set(module.files)
        return [
            e
            for e in self.entry_points
            if e.citation.path in files or _in_files(e.component_id or "", files)
        ]


def lines_key(path: str, read: Collection[tuple[int, int]]) -> str:
    """The key of the lines a page read of a file: ``lines:PATH:SPEC``, SPEC the spans
    read, sorted, overlapping or adjacent ones merged (``12-30,41``), after ``n`` when
    the line count was read. One key per file and page, however many citations."""
    merged: list[list[int]] = []
    for start, end in sorted(span for span in read if span != LENGTH):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts = ["n"] if LENGTH in read else []
    parts += [str(start) if start == end else f"{start}-{end}" for start, end in merged]
    return f"lines:{path}:{','.join(parts)}"


def part_digest(lines: list[str], part: str) -> str:
    """The digest of one part of a ``lines:`` key's SPEC: the line count for ``n``; for a
    span, a digest of its text, with the line count when the file ends before the span
    does (what the read found depends on it)."""
    if part == "n":
        return str(len(lines))
    first, _, last = part.partition("-")
    start, end = int(first), int(last or first)
    text = sha256_text(span_text(lines, start, end))[:16]
    return text if end <= len(lines) else f"{text}<{len(lines)}"


def _key_touched(changes: IndexChanges, table: str, argument: str) -> bool:
    """Whether an update in place that changed ``changes`` may have changed an index key
    (by kinds: the rows of the changed files, the references into their targets)."""
    if table in _FILE_KINDS:
        return argument in changes.files
    if table in _COMPONENT_KINDS:  # a component's members are in its file
        return _in_files(argument, changes.files)
    if table == "refs_into_file":
        return argument in changes.targets
    return True  # the whole index (languages, listed): computed again, once


def _lookup_touched(changes: IndexChanges, argument: str) -> bool:
    """The same for a research lookup over the index (the digests of
    :meth:`Inputs._lookup_digest`: the references from or into the node's file, all the
    components of a name)."""
    tool, *arguments = json.loads(argument)
    if tool == "symbol_lookup":
        return str(arguments[0]) in changes.names
    path = str(arguments[0]).split("#", 1)[0]
    return path in (changes.files if arguments[1] == "out" else changes.targets)


def _in_files(component_id: str, files: Collection[str]) -> bool:
    """Whether a component is in one of ``files``, from its id (``<path>#<local name>``,
    or the path for the file's module): the entry points name components of the index,
    and this spares loading every component to find out. A path may hold a ``#`` too,
    so every prefix before one is tried (a false match only recomputes a page)."""
    if component_id in files:
        return True
    at = component_id.find("#")
    while at != -1:
        if component_id[:at] in files:
            return True
        at = component_id.find("#", at + 1)
    return False


def file_digest(repo: Path, path: str) -> str:
    """SHA-256 of a repository file's bytes, ``missing`` when it cannot be read."""
    try:
        full = SourceReader(repo).resolve(path)
        return hashlib.sha256(full.read_bytes()).hexdigest()
    except (OSError, SourceError):
        return "missing"


def languages_digest(index: IndexResult, rows: CatalogRows | None = None) -> str:
    """What the overview's "Languages and sizes" section reads of the whole index (the
    components' languages counted by the catalog, for an index not loaded)."""
    files = [(source.language, source.lines) for source in index.files]
    components = (
        rows.component_languages()
        if rows is not None
        else sorted(component.language for component in index.components)
    )
    errors = sorted({error.path for error in index.errors})
    return digest_of((files, components, index.exclusion_counts, errors))


def summary_digest(title: str, summary: str, written: str = "") -> str:
    """What a parent page reads of a child: its notebook's title and summary, and the
    summary its written page hands up (a model page's; empty for a deterministic one)."""
    return digest_of((title, summary, written) if written else (title, summary))


def tool_digest(repo: Path, output: Path, code: str) -> str:
    """The build's own identity: versions, places (links are relative) and its code."""
    text = f"{__version__}\0{SCHEMA_VERSION}\0{GRAPH_VERSION}\0{repo}\0{output}\0{code}"
    return hashlib.sha256(text.encode()).hexdigest()


def code_digest(folder: Path) -> str:
    """SHA-256 over the files of a package folder: a build by changed code is a new tool."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def tree_digest(tree: ModuleTree) -> str:
    return digest_of(sorted(tree.modules.items()))


# tracked views of the facts ------------------------------------------------------------------


class TrackedDict(FactTable[V]):
    """A table of the facts that records each key a page looks up."""

    def __init__(self, data: Mapping[str, V], inputs: Inputs, kind: str) -> None:
        super().__init__(data)
        self.inputs = inputs
        self.kind = kind

    def __getitem__(self, key: str) -> V:
        self.inputs.touch(f"{self.kind}:{key}")
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.inputs.touch(f"{self.kind}:{key}")
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.inputs.touch(f"{self.kind}:{key}")
        return super().__contains__(key)


class TrackedRecords(TrackedDict[V]):
    """A table of records whose fields are tracked one by one: a page that sums the lines
    of files does not depend on their bytes, and a page that links to a module depends
    on its title, not on its size. Looking a key up records only whether it is there."""

    def __getitem__(self, key: str) -> V:
        return _FieldView(super().__getitem__(key), self.inputs, self.kind, key)  # type: ignore[return-value]

    def get(self, key: str, default: Any = None) -> Any:
        found = super().get(key, default)
        return found if found is default else _FieldView(found, self.inputs, self.kind, key)


class _FieldView:
    """A record (frozen dataclass) that records which of its fields are read."""

    __slots__ = ("_inputs", "_key", "_record")

    def __init__(self, record: object, inputs: Inputs, kind: str, key: str) -> None:
        self._record = record
        self._inputs = inputs
        self._key = f"{kind}.{{}}:{key}"

    def __getattr__(self, name: str) -> Any:
        self._inputs.touch(self._key.format(name))
        return getattr(self._record, name)


class TrackedReader(SourceReader):
    """Records what a page reads of each file: its whole text, or the lines it looks at
    (:class:`TrackedLines`)."""

    def __init__(self, repo: Path, inputs: Inputs) -> None:
        super().__init__(repo)
        self.inputs = inputs

    def read_text(self, path: str) -> str:
        self.inputs.touch(f"file:{path}")
        return super().read_text(path)

    def lines(self, path: str) -> list[str]:
        self.inputs.touch_lines(path)  # opened: whether it can be read is an input too
        return cast(list[str], TrackedLines(super().lines(path), self.inputs, path))

    def reach(self, path: str, start: int, end: int) -> int:
        """Records lines ``start``..``end``, not the line count: the span's digest tells
        whether the file reaches ``end`` (and its line count when it does not), so a line
        inserted after the span leaves the answer, and the page, as they were."""
        self.inputs.touch_lines(path, (start, max(start, end)))
        return min(end, len(super().lines(path)))


class TrackedLines(Sequence[str]):
    """The lines of a file that record which of them are read: an item or a slice reads
    those lines, ``len`` the line count, anything else (iterating, searching) the whole
    file. A page citing lines 40-52 of a file thus depends on those lines (and whether
    the file reaches line 52, which a citation is clamped to: :meth:`TrackedReader.reach`),
    not on an edit elsewhere in the file."""

    __slots__ = ("_inputs", "_lines", "_path")

    def __init__(self, lines: list[str], inputs: Inputs, path: str) -> None:
        self._lines = lines
        self._inputs = inputs
        self._path = path

    def __len__(self) -> int:
        self._inputs.touch_lines(self._path, LENGTH)
        return len(self._lines)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            start, stop = index.start or 0, index.stop
            if index.step is None and start >= 0 and stop is not None and stop >= 0:
                if stop > start:
                    self._inputs.touch_lines(self._path, (start + 1, stop))
            else:
                self._whole()
        elif index >= 0:
            self._inputs.touch_lines(self._path, (index + 1, index + 1))
        else:
            self._whole()
        return self._lines[index]

    def __iter__(self) -> Iterator[str]:
        self._whole()
        return iter(self._lines)

    def __reversed__(self) -> Iterator[str]:
        self._whole()
        return reversed(self._lines)

    def __contains__(self, value: object) -> bool:
        self._whole()
        return value in self._lines

    def _whole(self) -> None:
        self._inputs.touch(f"file:{self._path}")


class TrackedExplorer(Explorer):
    """Records each research lookup (its digest is of the whole result, recomputed, or of
    what the result is a function of). A Read is recorded by the reader, as the lines it
    reads."""

    def __init__(self, facts: RepositoryFacts, reader: SourceReader, inputs: Inputs) -> None:
        super().__init__(facts.repo, facts.index, reader, facts.rows)
        self.inputs = inputs

    def _touch(self, *query: object) -> None:
        self.inputs.touch("explore:" + json.dumps(query))

    def glob(self, pattern: str) -> Any:
        self._touch("glob", pattern)
        return super().glob(pattern)

    def grep(self, regex: str, paths: str) -> Any:
        self._touch("grep", regex, paths)
        return super().grep(regex, paths)

    def symbol_lookup(self, name: str) -> Any:
        self._touch("symbol_lookup", name)
        return super().symbol_lookup(name)

    def graph_lookup(self, node: str, direction: Any, kind: str = "any") -> Any:
        self._touch("graph_lookup", node, direction, kind)
        return super().graph_lookup(node, direction, kind)


def track(facts: RepositoryFacts, inputs: Inputs) -> None:
    """Make ``facts`` record into ``inputs`` what each page reads of it."""

    def wrap(kind: str, table: dict[str, Any]) -> dict[str, Any]:
        return (TrackedRecords if kind == "files" else TrackedDict)(table, inputs, kind)

    facts.wrap = wrap
    facts.rewrap()
    facts.tree = ModuleTree(TrackedRecords(facts.tree.modules, inputs, "modules"), facts.tree.root)
    facts.reader = TrackedReader(facts.repo, inputs)
    facts.explorer = TrackedExplorer(facts, facts.reader, inputs)


#: Reasons a node is stale that are not an input key.
NEVER_BUILT = "never built"
UNVERIFIED = "unverified last time"
OUTPUTS_CHANGED = "its files changed on disk"


def staleness(node: Node | None, inputs: Inputs, root: Path) -> Iterator[str]:
    """Why a node must be computed again, cheapest checks first: one of the reasons
    above or an input key whose digest changed. Nothing for a green node."""
    if node is None:
        yield NEVER_BUILT
        return
    if node.record.get("problems"):
        yield UNVERIFIED  # a page that was not verified is built again until it is
    for key, _old, _new in inputs.changed(node.inputs):
        yield key
    if not NodeOutputs(node.record.get("outputs", {})).intact(root):
        yield OUTPUTS_CHANGED


@dataclass(slots=True)
class NodeOutputs:
    """The files a node wrote, each with its SHA-256, size and mtime (to find it intact)."""

    files: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, root: Path, digests: Mapping[str, str]) -> NodeOutputs:
        files: dict[str, list[Any]] = {}
        for relative, digest in digests.items():
            stat = (root / relative).stat()
            files[relative] = [digest, stat.st_size, stat.st_mtime_ns]
        return cls(files)

    def intact(self, root: Path) -> bool:
        """Whether every file is still there with the same bytes (stat first, then hash)."""
        for relative, (digest, size, mtime) in self.files.items():
            path = root / relative
            try:
                stat = path.stat()
                if stat.st_size == size and stat.st_mtime_ns == mtime:
                    continue
                if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                    return False
            except OSError:
                return False
        return True
