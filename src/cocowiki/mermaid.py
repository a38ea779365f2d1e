"""Mermaid diagrams checked by the real ``mermaid`` parser, before a page is accepted.

A page whose diagram does not parse renders as an error box in every viewer, so the
build asks the parser itself rather than a look-alike grammar. Mermaid is a JavaScript
package and needs a DOM even to parse, so one long-lived ``node`` process (a checker
script shipped with this package, with jsdom as its DOM) loads it once (about 1.2 s) and
then answers diagrams over JSON lines, a batch of them per request (a few milliseconds
each).

Where mermaid comes from (:func:`find_mermaid`), first found wins:

1. ``COCOWIKI_NODE_MODULES``, a ``node_modules`` folder named on purpose;
2. the bundle in this package, ``js/bundle/`` (made when the wheel is built: mermaid and
   jsdom in one file for node, and mermaid's browser build for the viewer), so that an
   installed cocowiki needs ``node`` and nothing else;
3. a ``node_modules`` folder above this package: a checkout after ``npm ci``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import selectors
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

NODE_MODULES_VARIABLE = "COCOWIKI_NODE_MODULES"
DEFAULT_TIMEOUT = 60.0  # seconds for start-up, and for any one diagram
BATCH_SECONDS = 1.0  # more seconds a batch may take for each diagram in it
SCRIPTS = Path(__file__).parent / "js"
#: The checker run against a node_modules folder, and the protocol it shares with the bundle.
CHECKER_SCRIPTS = (SCRIPTS / "check_mermaid.mjs", SCRIPTS / "serve_checker.mjs")
#: What ``npm run bundle`` (and a wheel build) writes: see ``js/build_bundle.mjs``.
BUNDLE = SCRIPTS / "bundle"
#: Checker processes a :class:`MermaidPool` runs at most (each holds about 150 MB).
MAX_PROCESSES = 4
#: Diagrams per request when :meth:`MermaidPool.check` spreads a list over its processes.
CHUNK = 8

_HOW_TO_INSTALL = (
    "install cocowiki from a wheel built with npm (it carries mermaid), or run `npm ci` "
    f"at the root of the cocowiki project, or set {NODE_MODULES_VARIABLE} to a "
    "node_modules folder that has mermaid and jsdom"
)


class MermaidUnavailable(RuntimeError):
    """Node or mermaid cannot be found: diagrams cannot be checked here.

    ``reason`` says what is missing, ``remedy`` what to do; the message is both."""

    def __init__(self, reason: str, remedy: str = _HOW_TO_INSTALL) -> None:
        super().__init__(f"{reason}; {remedy}")
        self.reason = reason
        self.remedy = remedy


class MermaidCheckerFailed(RuntimeError):
    """The checker process died, hung or broke the protocol mid-batch."""


@dataclass(frozen=True, slots=True)
class MermaidInstall:
    """A mermaid this process can use: the package's bundle, or a ``node_modules`` folder.

    ``folder`` is the bundle's folder or the ``node_modules`` folder."""

    folder: Path
    bundled: bool

    @property
    def checker(self) -> list[str]:
        """The arguments of ``node`` that start the checker."""
        if self.bundled:
            return [str(self.folder / "check_mermaid.mjs")]
        return [str(CHECKER_SCRIPTS[0]), str(self.folder)]

    @property
    def browser_bundle(self) -> Path:
        """Mermaid's browser build, which the viewer inlines."""
        if self.bundled:
            return self.folder / "mermaid.min.js"
        return self.folder / "mermaid" / "dist" / "mermaid.min.js"

    def parser_id(self) -> str:
        """What a parse result is a function of besides the diagram's text: the versions of
        mermaid and jsdom and the digest of the checker (the bundle, or the scripts)."""
        if self.bundled:
            versions = _bundle_versions(self.folder)
            scripts = [self.folder / "check_mermaid.mjs"]
        else:
            versions = {name: _package_version(self.folder, name) for name in ("mermaid", "jsdom")}
            scripts = list(CHECKER_SCRIPTS)
        digest = hashlib.sha256()
        for script in scripts:
            digest.update(script.read_bytes())
        named = [f"{name} {versions.get(name, 'missing')}" for name in ("mermaid", "jsdom")]
        kind = "bundle" if self.bundled else "check_mermaid.mjs"
        return "; ".join([*named, f"{kind} {digest.hexdigest()[:16]}"])


def find_mermaid() -> MermaidInstall:
    """The mermaid to use (see the module's docstring for the order); raises
    :class:`MermaidUnavailable` when there is none."""
    if os.environ.get(NODE_MODULES_VARIABLE):
        return MermaidInstall(find_node_modules(), bundled=False)
    if all((BUNDLE / name).is_file() for name in ("check_mermaid.mjs", "mermaid.min.js")):
        return MermaidInstall(BUNDLE, bundled=True)
    return MermaidInstall(find_node_modules(), bundled=False)


def find_node_modules() -> Path:
    """The ``node_modules`` folder holding ``mermaid`` (``COCOWIKI_NODE_MODULES``, else one
    above this package); raises :class:`MermaidUnavailable`."""
    configured = os.environ.get(NODE_MODULES_VARIABLE)
    if configured:
        folder = Path(configured).expanduser()
        if not (folder / "mermaid" / "package.json").is_file():
            raise MermaidUnavailable(
                f"{NODE_MODULES_VARIABLE}={configured} has no mermaid package in it"
            )
        return folder.resolve()
    for directory in Path(__file__).resolve().parents:
        candidate = directory / "node_modules"
        if (candidate / "mermaid" / "package.json").is_file():
            return candidate
    raise MermaidUnavailable(
        "this cocowiki has no mermaid bundle (it was installed from a wheel built without "
        "npm, or is a checkout) and no node_modules folder with mermaid was found"
    )


def find_node() -> str:
    """The ``node`` executable; raises :class:`MermaidUnavailable` when there is none."""
    node = shutil.which("node")
    if node is None:
        remedy = "install Node.js 20 or later"
        raise MermaidUnavailable(
            "node (Node.js 20 or later) is not on PATH",
            remedy if _mermaid_found() else f"{remedy}, then {_HOW_TO_INSTALL}",
        )
    return node


def parser_id() -> str:
    """:meth:`MermaidInstall.parser_id` of the mermaid found, read without starting node;
    raises :class:`MermaidUnavailable` when there is none."""
    return find_mermaid().parser_id()


def _mermaid_found() -> bool:
    try:
        find_mermaid()
    except MermaidUnavailable:
        return False
    return True


def _bundle_versions(folder: Path) -> dict[str, str]:
    try:
        versions = json.loads((folder / "versions.json").read_bytes())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in versions.items()} if isinstance(versions, dict) else {}


def _package_version(node_modules: Path, name: str) -> str:
    try:
        manifest = json.loads((node_modules / name / "package.json").read_bytes())
    except (OSError, ValueError):
        return "missing"
    return str(manifest.get("version", "unknown")) if isinstance(manifest, dict) else "unknown"


def mermaid_available() -> bool:
    """Whether diagrams can be checked here (node on PATH and a mermaid found)."""
    try:
        find_node()
        find_mermaid()
    except MermaidUnavailable:
        return False
    return True


class MermaidChecker:
    """One node process with mermaid loaded; :meth:`check` may be called many times.

    Use it as a context manager (or call :meth:`close`) so the process ends with it.
    """

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        node = find_node()
        install = find_mermaid()
        self.timeout = timeout
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)
        self._process = subprocess.Popen(
            [node, *install.checker],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=install.folder.parent,
        )
        assert self._process.stdout is not None
        self._reader = _LineReader(self._process.stdout)
        try:
            hello = self._read(self.timeout)
        except BaseException:
            self.close()
            raise
        if "fatal" in hello:
            self.close()
            raise MermaidUnavailable(
                f"mermaid could not be loaded from {install.folder}: "
                f"{str(hello['fatal']).splitlines()[0]}"
            )
        self.version: str = str(hello.get("version", ""))

    def check(self, texts: Sequence[str]) -> list[str | None]:
        """For each diagram source, None when it parses, else the parser's message.

        The sources go to node as one request and come back as one answer: a batch costs
        one round trip, however many diagrams it holds.
        """
        if not texts:
            return []
        answer = self._ask({"texts": list(texts)}, self.timeout + BATCH_SECONDS * len(texts))
        errors = answer.get("errors")
        if not isinstance(errors, list) or len(errors) != len(texts):
            raise MermaidCheckerFailed(
                f"the mermaid checker answered a batch of {len(texts)} with {answer!r:.200}"
            )
        return [None if error is None else str(error) for error in errors]

    def check_one(self, text: str) -> str | None:
        """None when ``text`` parses as a Mermaid diagram, else the parser's message."""
        error = self._ask({"text": text}, self.timeout).get("error")
        return None if error is None else str(error)

    def _ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(request).encode("ascii") + b"\n")
            stdin.flush()
        except BrokenPipeError:
            raise self._died() from None
        return self._read(timeout)

    def close(self) -> None:
        """End the node process (it exits when its input closes) and free its pipes."""
        process = self._process
        if process.stdin is not None and not process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._reader.close()
        if process.stdout is not None:
            process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> MermaidChecker:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _read(self, timeout: float) -> dict[str, Any]:
        line = self._reader.readline(timeout)
        if line is None:
            self._process.kill()
            raise MermaidCheckerFailed(f"the mermaid checker gave no answer within {timeout:g} s")
        if not line:
            raise self._died()
        try:
            answer = json.loads(line)
        except json.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict):
            raise MermaidCheckerFailed(f"the mermaid checker wrote an unexpected line: {line!r}")
        return answer

    def _died(self) -> MermaidCheckerFailed:
        self._process.wait()
        self._stderr.seek(0)
        detail = self._stderr.read().decode("utf-8", "replace").strip()[-2000:]
        return MermaidCheckerFailed(
            f"the mermaid checker exited with status {self._process.returncode}"
            + (f": {detail}" if detail else "")
        )


class _LineReader:
    """Reads lines from a pipe with a timeout (a diagram must not hang a build forever)."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._fd = pipe.fileno()
        self._buffer = bytearray()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._fd, selectors.EVENT_READ)

    def readline(self, timeout: float) -> str | None:
        """The next line without its newline; "" at end of file; None on timeout."""
        while b"\n" not in self._buffer:
            if not self._selector.select(timeout):
                return None
            chunk = os.read(self._fd, 65536)
            if not chunk:
                return ""
            self._buffer += chunk
        line, _, rest = self._buffer.partition(b"\n")
        self._buffer = bytearray(rest)
        return line.decode("utf-8", "replace")

    def close(self) -> None:
        self._selector.close()


def default_processes() -> int:
    """Checker processes for this machine: one per core it may use, at most
    :data:`MAX_PROCESSES`."""
    return max(1, min(MAX_PROCESSES, len(os.sched_getaffinity(0))))


class MermaidPool:
    """Several :class:`MermaidChecker` processes, each driven by a thread of its own.

    Mermaid parses one diagram at a time in one process; a large wiki has a thousand
    diagrams and a minute of parsing, so a build spreads them over the cores while its
    own thread writes pages. A process starts when work first reaches its thread (a
    pool given nothing starts none); a process that died or hung is replaced at the next
    request. Answers do not depend on which process gave them.
    """

    def __init__(self, processes: int | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.processes = processes or default_processes()
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(self.processes, thread_name_prefix="cw-mermaid")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._checkers: list[MermaidChecker] = []
        self._unavailable: MermaidUnavailable | None = None

    def submit(self, texts: Sequence[str]) -> Future[list[str | None]]:
        """Check ``texts`` in one request to one process; the future holds
        :meth:`MermaidChecker.check`'s answer or exception."""
        return self._executor.submit(self._check, list(texts))

    def check(self, texts: Sequence[str]) -> list[str | None]:
        """:meth:`MermaidChecker.check` of ``texts``, spread over every process."""
        chunks = [self.submit(texts[i : i + CHUNK]) for i in range(0, len(texts), CHUNK)]
        return [result for chunk in chunks for result in chunk.result()]

    def start(self) -> None:
        """Start the processes now, in the background (each loads mermaid, about 1 s)."""
        for _ in range(self.processes):
            self.submit([])

    def close(self) -> None:
        """Drop work not started, wait for the rest, end every process."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            checkers, self._checkers = self._checkers, []
        for checker in checkers:
            checker.close()

    def __enter__(self) -> MermaidPool:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _check(self, texts: list[str]) -> list[str | None]:
        checker = self._checker()
        try:
            return checker.check(texts)
        except MermaidCheckerFailed:
            self._local.checker = None  # the next request starts a new process
            raise

    def _checker(self) -> MermaidChecker:
        checker: MermaidChecker | None = getattr(self._local, "checker", None)
        if checker is not None:
            return checker
        if self._unavailable is not None:
            raise self._unavailable  # found once: no node start per request
        try:
            checker = MermaidChecker(timeout=self.timeout)
        except MermaidUnavailable as exc:
            self._unavailable = exc
            raise
        with self._lock:
            self._checkers.append(checker)
        self._local.checker = checker
        return checker


def check_diagrams(texts: Sequence[str]) -> list[str | None]:
    """Check every diagram in one node process: None where it parses, else the message.

    Raises :class:`MermaidUnavailable` when node or the mermaid package is missing.
    """
    if not texts:
        return []
    with MermaidChecker() as checker:
        return checker.check(texts)


__all__ = [
    "NODE_MODULES_VARIABLE",
    "MermaidChecker",
    "MermaidCheckerFailed",
    "MermaidInstall",
    "MermaidPool",
    "MermaidUnavailable",
    "check_diagrams",
    "default_processes",
    "find_mermaid",
    "find_node_modules",
    "mermaid_available",
    "parser_id",
]
