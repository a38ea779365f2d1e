"""``index_repository``: discover, parse (in parallel when it pays), resolve, store.

The phases and why they are shaped so:

1. discover (:mod:`.files`): cheap decisions from paths and ``lstat``;
2. parse: each candidate is read, checked for binary/minified/generated content, hashed
   and, unless the previous catalog has the same digest and parse key for it (its module
   name, and the path aliases that apply to it: :mod:`.resolution_inputs`), parsed.
   As git does, a file whose ``lstat`` (size, mtime, ctime, inode) is the one recorded
   when the catalog last read it is taken as unchanged without being read, unless it
   had changed so shortly before that read that a later change could keep the same
   times (:data:`RACY_NS`);
   tree-sitter holds the GIL while parsing (measured: two threads are no faster than
   one), so parallelism means processes; they start in about 0.1 s and pay off only on
   larger repositories, so ``workers=0`` uses them when there are more than ~4 MB to
   parse (see ``bench/cocowiki/index_speed.py`` for the numbers);
3. resolve (:mod:`.resolve`): over the whole repository, as any file's names may point
   into any other; when the re-parsed files kept what other files' resolution reads of
   them (:func:`~.resolve.reusable_resolution`), the other files keep their resolved
   references and only the re-parsed files' names are resolved again;
4. store (:mod:`.store`): skipped when the inputs' fingerprint equals the previous
   catalog's (a clean rerun writes nothing); an update in place, in one transaction,
   when only the re-parsed files' rows changed; else one atomic write of the whole file.

Only an unusable request raises (:class:`~.errors.IndexingError`); problems with files
are counted in the result.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .. import __version__
from ..paths import output_dir
from .config import IndexConfig
from .errors import IndexingError
from .extract import FileContext, extract_file
from .files import Candidate, Discovery, LoadedSource, discover, read_source
from .model import (
    Component,
    Exclusion,
    FileExtraction,
    IndexResult,
    IndexWarning,
    ParseError,
    Reference,
    SourceFile,
)
from .naming import go_modules, module_name, python_packages
from .partial import CatalogResolver
from .resolution_inputs import ResolutionInputs
from .resolve import resolution_interface, resolve, reusable_resolution
from .store import (
    SCHEMA_VERSION,
    CachedFile,
    FileStat,
    catalog_path,
    load_cache,
    load_file_keys,
    load_file_stats,
    open_catalog,
    read_index,
    read_meta,
    recover_catalog,
    rows_loader,
    update_catalog,
    write_catalog,
)

#: ``progress(phase, done, total)``: phases are ``discover``, ``parse``, ``resolve``, ``store``.
ProgressCallback = Callable[[str, int, int], None]

PARALLEL_THRESHOLD_BYTES = 4 * 1024 * 1024
#: A file whose times are within this of the moment it was read is read again next time:
#: a change in the same timestamp tick (2 s on FAT, 1 s on ext3, a clock tick elsewhere,
#: whose coarse clock may also lag the wall clock) keeps the same ``stat``.
RACY_NS = 3_000_000_000
_CHUNK = 16
#: Up to this many re-parsed files are resolved by lookups of the catalog
#: (:func:`_update_partially`); more are cheaper to resolve over the whole index.
PARTIAL_MAX_FILES = 64


@dataclass(frozen=True, slots=True)
class ParseTask:
    """One candidate to process, with what the previous catalog knew of it."""

    candidate: Candidate
    module_name: str
    cached_digest: str | None


@dataclass(frozen=True, slots=True)
class Unchanged:
    """The file's digest matched the previous catalog: reuse its rows."""

    path: str


Outcome = FileExtraction | Exclusion | Unchanged


def index_repository(
    repo: Path,
    output: Path | None = None,
    config: IndexConfig | None = None,
    progress: ProgressCallback | None = None,
    *,
    lazy: bool = False,
) -> IndexResult:
    """Index ``repo`` into ``output`` (default ``<repo>/.cocowiki``) and return the index.

    With ``lazy``, an index that did not change, or changed in a few files resolved
    from the catalog (:func:`_update_partially`), is returned without its components and
    references, read from the catalog on first use (:func:`~.store.read_index`): for a
    caller that keeps the output as it is until then (a build, under the output's lock).

    Raises :class:`IndexingError` with a message for a person when the repository path
    does not exist or is not a directory, or the output cannot be written.
    """
    started = time.perf_counter()
    config = config or IndexConfig()
    repo = check_repository(repo)
    output = output_dir(repo, output).absolute()
    report = progress or _no_progress
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexingError(f"cannot create output directory {output}: {exc.strerror}") from exc
    with _lock(output):
        return _index(repo, output, config, report, started, lazy)


def _index(
    repo: Path,
    output: Path,
    config: IndexConfig,
    report: ProgressCallback,
    started: float,
    lazy: bool,
) -> IndexResult:
    timings: dict[str, float] = {}
    read_ns = time.time_ns()  # before any lstat (see :data:`RACY_NS`)
    report("discover", 0, 1)
    discovery = discover(repo, config, output)
    packages = python_packages(discovery.listed)
    modules = go_modules(_read_small(repo, [p for p in discovery.listed if p.endswith("go.mod")]))
    inputs = ResolutionInputs.read(discovery.listed, lambda paths: _read_small(repo, paths))
    now = time.perf_counter()
    timings["discover"] = now - started
    report("discover", 1, 1)

    catalog = catalog_path(output)
    recover_catalog(catalog)
    previous = load_file_keys(catalog)
    reader = _reader(config)
    known_stats = load_file_stats(catalog)
    tasks: list[ParseTask] = []
    reused: list[str] = []  # files whose rows are taken from the catalog
    keys: dict[str, str] = {}
    for candidate in discovery.candidates:
        name = module_name(candidate.path, candidate.language, packages, modules)
        key = inputs.parse_key(candidate.path, candidate.language, name)
        keys[candidate.path] = key
        known = previous.get(candidate.path)
        digest = known[0] if known is not None and known[1] == key else None
        tasks.append(ParseTask(candidate, name, digest))
        if digest is not None and _trusted(candidate, known_stats.get(candidate.path), reader):
            reused.append(candidate.path)

    fresh: list[FileExtraction] = []
    exclusions = list(discovery.exclusions)
    trusted = set(reused)
    to_read = [task for task in tasks if task.candidate.path not in trusted]
    report("parse", len(trusted), len(tasks))
    for done, outcome in enumerate(_run(repo, config, to_read), start=len(trusted) + 1):
        if isinstance(outcome, Unchanged):
            reused.append(outcome.path)
        elif isinstance(outcome, Exclusion):
            exclusions.append(outcome)
        else:
            fresh.append(outcome)
        report("parse", done, len(tasks))
    exclusions.sort(key=lambda exclusion: (exclusion.path, exclusion.reason))
    digests = {path: previous[path][0] for path in reused}
    digests.update((x.file.path, x.file.digest) for x in fresh)
    fingerprint = _fingerprint(digests, keys, exclusions, discovery, config)
    changed_paths = {x.file.path for x in fresh}
    now_parsed = time.perf_counter()
    if not fresh and read_meta(catalog).get("fingerprint") == fingerprint:
        unchanged = _unchanged_result(output, started, timings, now, len(reused), lazy)
        if unchanged is not None:
            report("store", 1, 1)
            return unchanged
    read = {
        task.candidate.path: FileStat(task.candidate.stat, read_ns, reader)
        for task in tasks
        if task.candidate.path not in trusted or task.candidate.path in changed_paths
    }
    if 0 < len(fresh) <= PARTIAL_MAX_FILES and set(previous) == set(reused) | changed_paths:
        timings["parse"] = now_parsed - now
        stats = {path: stat for path, stat in read.items() if path in previous}
        stored = Stored(output, keys, fingerprint, stats)
        partial = _update_partially(
            str(repo), discovery, exclusions, fresh, stored, timings, inputs
        )
        if partial is not None:
            total = time.perf_counter() - started
            timings["store"] = total - sum(timings.values())
            timings["total"] = total
            partial.timings = timings
            report("store", 1, 1)
            return partial if lazy else partial.load()
    cache = load_cache(catalog) if reused else {}
    extractions = _extractions(repo, config, tasks, fresh, reused, cache, exclusions)
    timings["parse"] = time.perf_counter() - now

    now = time.perf_counter()
    report("resolve", 0, 1)
    changed = {x.file.path for x in fresh}
    resolved_before: dict[str, Sequence[Reference]] = {}
    if cache and read_meta(catalog).get("tool_version") == __version__:
        before = {path: cached.extraction for path, cached in cache.items()}
        resolved_before = reusable_resolution(extractions, changed, before)
    references = resolve(extractions, resolved_before, inputs)
    timings["resolve"] = time.perf_counter() - now
    report("resolve", 1, 1)

    result = IndexResult(
        repo=str(repo),
        files=[extraction.file for extraction in extractions],
        components=[c for extraction in extractions for c in extraction.components],
        references=references,
        errors=[e for extraction in extractions for e in extraction.errors],
        warnings=[*discovery.warnings, *(w for x in extractions for w in x.warnings)],
        exclusions=exclusions,
        files_parsed=len(fresh),
        files_unchanged=len(extractions) - len(fresh),
        catalog_written=True,
    )
    now = time.perf_counter()
    report("store", 0, 1)
    result.timings = {**timings, "total": time.perf_counter() - started}
    in_place = bool(resolved_before) and len(resolved_before) + len(changed) == len(extractions)
    indexed = {f.path for f in result.files}
    read = {path: stat for path, stat in read.items() if path in indexed}
    try:
        rows = _rows_of(extractions, references, changed) if in_place else {}
        if not (
            in_place and update_catalog(output, result, keys, fingerprint, __version__, rows, read)
        ):
            stats = {path: known_stats[path] for path in trusted if path not in read}
            write_catalog(output, result, keys, fingerprint, __version__, {**stats, **read})
    except OSError as exc:
        raise IndexingError(f"cannot write the catalog in {output}: {exc}") from exc
    timings["store"] = time.perf_counter() - now
    timings["total"] = time.perf_counter() - started
    result.timings = timings
    report("store", 1, 1)
    return result


@dataclass(frozen=True, slots=True)
class Stored:
    """What an index is stored with besides its records: the parse keys (module names and
    resolution inputs), the inputs' fingerprint and the files' :class:`~.store.FileStat`."""

    output: Path
    parse_keys: dict[str, str]
    fingerprint: str
    stats: dict[str, FileStat]


def _update_partially(
    repo: str,
    discovery: Discovery,
    exclusions: list[Exclusion],
    fresh: list[FileExtraction],
    stored: Stored,
    timings: dict[str, float],
    inputs: ResolutionInputs,
) -> IndexResult | None:
    """Update the catalog for a few re-parsed files without reading the rest of it, when
    each of them kept its resolution interface (else None, having written nothing):
    their references are resolved by lookups of the catalog (:mod:`.partial`), their
    rows replaced in place (:func:`~.store.update_catalog`), and the index returned
    reads its components and references from the catalog on first use.

    The files, errors and warnings are the catalog's with those of the re-parsed files
    replaced, in the order the whole index gives them; ``timings`` gets ``resolve``.
    """
    started = time.perf_counter()
    catalog = catalog_path(stored.output)
    if read_meta(catalog).get("tool_version") != __version__:
        return None
    changed = {x.file.path: x for x in fresh}
    before = load_cache(catalog, changed)
    if set(before) != set(changed) or any(
        resolution_interface(x) != resolution_interface(before[x.file.path].extraction)
        for x in fresh
    ):
        return None
    try:
        previous = read_index(stored.output, lazy=True)
        with open_catalog(catalog) as connection:
            files = [(f.path, f.language) for f in previous.files]
            resolved = CatalogResolver(connection, files, fresh, inputs).resolve_files()
    except (sqlite3.Error, ValueError, KeyError):
        return None
    timings["resolve"] = time.perf_counter() - started
    errors = _by_path(previous.errors)
    warnings = _by_path(previous.warnings)
    for x in fresh:
        errors[x.file.path], warnings[x.file.path] = list(x.errors), list(x.warnings)
    sources = [changed[f.path].file if f.path in changed else f for f in previous.files]
    index = IndexResult(
        repo,
        sources,
        errors=[e for f in sources for e in errors.get(f.path, ())],
        warnings=[*discovery.warnings, *(w for f in sources for w in warnings.get(f.path, ()))],
        exclusions=exclusions,
        files_parsed=len(fresh),
        files_unchanged=len(sources) - len(fresh),
        catalog_written=True,
        rows=rows_loader(catalog),
    )
    rows = {path: (changed[path].components, refs) for path, refs in resolved.items()}
    args = (stored.parse_keys, stored.fingerprint, __version__, rows, stored.stats)
    if not update_catalog(stored.output, index, *args):
        return None
    return index


_Record = TypeVar("_Record", ParseError, IndexWarning)


def _by_path(records: Iterable[_Record]) -> dict[str, list[_Record]]:
    grouped: dict[str, list[_Record]] = defaultdict(list)
    for record in records:
        grouped[record.path].append(record)
    return grouped


def _extractions(
    repo: Path,
    config: IndexConfig,
    tasks: list[ParseTask],
    fresh: list[FileExtraction],
    reused: list[str],
    cache: dict[str, CachedFile],
    exclusions: list[Exclusion],
) -> list[FileExtraction]:
    """Every file's extraction by path: the fresh ones and the cached ones; a file the
    cache lacks (the catalog changed under us) is parsed after all (added to ``fresh``)."""
    extractions = fresh + [cache[path].extraction for path in reused if path in cache]
    missing = {path for path in reused if path not in cache}
    for task in (task for task in tasks if task.candidate.path in missing):
        outcome = process_file(repo, config, ParseTask(task.candidate, task.module_name, None))
        if isinstance(outcome, FileExtraction):
            extractions.append(outcome)
            fresh.append(outcome)
        elif isinstance(outcome, Exclusion):
            exclusions.append(outcome)
    extractions.sort(key=lambda extraction: extraction.file.path)
    return extractions


def _rows_of(
    extractions: list[FileExtraction], references: list[Reference], changed: set[str]
) -> dict[str, tuple[Sequence[Component], Sequence[Reference]]]:
    """The new components and references of the changed files."""
    rows: dict[str, tuple[Sequence[Component], list[Reference]]] = {
        x.file.path: (x.components, []) for x in extractions if x.file.path in changed
    }
    for ref in references:
        if ref.path in rows:
            rows[ref.path][1].append(ref)
    return dict(rows)


def _reader(config: IndexConfig) -> str:
    """What reading a file gives depends on: the settings and cocowiki's version."""
    return hashlib.sha256(f"{__version__}\0{config.fingerprint()}".encode()).hexdigest()[:16]


def _trusted(candidate: Candidate, known: FileStat | None, reader: str) -> bool:
    """Whether the file is as it was when last read, by its ``lstat`` alone: the same
    size, times and inode, read with the same settings, and its times were older than
    that read by more than a timestamp tick (else it may have changed again within
    the tick, keeping its times)."""
    return (
        known is not None
        and known.reader == reader
        and known.stat == candidate.stat
        and max(candidate.mtime_ns, candidate.ctime_ns) + RACY_NS < known.read_ns
    )


def _unchanged_result(
    output: Path,
    started: float,
    timings: dict[str, float],
    parse_started: float,
    reused: int,
    lazy: bool,
) -> IndexResult | None:
    """The previous index as it is, when no input changed (a clean rerun writes nothing)."""
    try:
        result = read_index(output, lazy=lazy)
    except (sqlite3.Error, ValueError, KeyError):
        return None
    timings["parse"] = time.perf_counter() - parse_started
    timings["resolve"] = 0.0
    timings["store"] = 0.0
    timings["total"] = time.perf_counter() - started
    result.timings = timings
    result.files_parsed = 0
    result.files_unchanged = reused
    result.catalog_written = False
    return result


def check_repository(repo: Path) -> Path:
    """``repo`` resolved, or an :class:`IndexingError` that says why it cannot be read."""
    path = Path(repo).expanduser()
    if not path.exists():
        raise IndexingError(f"repository path does not exist: {path}")
    if not path.is_dir():
        raise IndexingError(f"repository path is not a directory: {path}")
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise IndexingError(f"cannot resolve repository path {path}: {exc}") from exc


def _fingerprint(
    digests: dict[str, str],
    keys: dict[str, str],
    exclusions: list[Exclusion],
    discovery: Discovery,
    config: IndexConfig,
) -> str:
    """A digest of everything the catalog's contents derive from."""
    digest = hashlib.sha256()
    digest.update(f"{SCHEMA_VERSION}\0{__version__}\0{config.fingerprint()}\0".encode())
    for path in sorted(digests):
        digest.update(f"{path}\0{digests[path]}\0{keys.get(path)}\n".encode())
    for exclusion in exclusions:
        digest.update(f"{exclusion.path}\0{exclusion.reason}\0{exclusion.detail}\n".encode())
    for warning in discovery.warnings:
        digest.update(f"{warning.path}\0{warning.message}\n".encode())
    return digest.hexdigest()


def _run(repo: Path, config: IndexConfig, tasks: list[ParseTask]) -> Iterator[Outcome]:
    """Process the tasks, in worker processes when there is enough work to repay them."""
    workers = _worker_count(config, tasks)
    if workers <= 1:
        for task in tasks:
            yield process_file(repo, config, task)
        return
    context = _process_context()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        chunks = [tasks[i : i + _CHUNK] for i in range(0, len(tasks), _CHUNK)]
        for results in pool.map(_process_chunk, [(repo, config, chunk) for chunk in chunks]):
            yield from results


def _worker_count(config: IndexConfig, tasks: list[ParseTask]) -> int:
    if config.workers > 0:
        return config.workers
    work = sum(task.candidate.size for task in tasks if task.cached_digest is None)
    if work < PARALLEL_THRESHOLD_BYTES:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def _process_context() -> multiprocessing.context.BaseContext:
    """``forkserver`` where there is one (safe with threads, preloads grammars), else ``spawn``."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        server = multiprocessing.get_context("forkserver")
        server.set_forkserver_preload(["cocowiki.index.extract"])
        return server
    return multiprocessing.get_context("spawn")


def _process_chunk(job: tuple[Path, IndexConfig, list[ParseTask]]) -> list[Outcome]:
    repo, config, tasks = job
    return [process_file(repo, config, task) for task in tasks]


def process_file(repo: Path, config: IndexConfig, task: ParseTask) -> Outcome:
    """Read, classify and (unless unchanged) parse one candidate; never raises."""
    loaded = read_source(repo, task.candidate, config)
    if isinstance(loaded, Exclusion):
        return loaded
    if task.cached_digest is not None and loaded.digest == task.cached_digest:
        return Unchanged(loaded.path)
    return _extract(loaded, task.module_name)


def _extract(loaded: LoadedSource, name: str) -> FileExtraction | Exclusion:
    context = FileContext(
        path=loaded.path,
        language=loaded.language,
        module_name=name,
        digest=loaded.digest,
        size=loaded.size,
        lines=loaded.lines,
    )
    try:
        return extract_file(context, loaded.data, loaded.warnings)
    except Exception as exc:  # an extractor bug must not stop the index: record it
        source = SourceFile(
            loaded.path, loaded.language, loaded.size, loaded.digest, loaded.lines, name
        )
        error = ParseError(loaded.path, 1, 1, f"extractor failed: {type(exc).__name__}: {exc}")
        return FileExtraction(source, (), (), (error,), loaded.warnings)


def _read_small(repo: Path, paths: Iterable[str]) -> dict[str, str]:
    contents: dict[str, str] = {}
    for path in paths:
        with contextlib.suppress(OSError):
            contents[path] = (repo / path).read_text("utf-8", errors="replace")[:65536]
    return contents


@contextlib.contextmanager
def _lock(output: Path) -> Iterator[None]:
    """One indexer per output directory at a time (an advisory ``flock``)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(output / ".index.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _no_progress(phase: str, done: int, total: int) -> None:
    """The default progress callback: nothing to show."""
