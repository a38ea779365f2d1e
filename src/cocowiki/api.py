"""cocowiki as a library: build a wiki, verify it, ask it, explain a stale page, load it.

Each function returns a frozen dataclass of :mod:`cocowiki.results` whose fields are the
``--json`` keys of the matching ``cw`` command (``cw`` prints :func:`~cocowiki.to_json`
of the same value), raises a :class:`~cocowiki.CocowikiError` for anything a user can
fix, and never prints or exits. Settings come from ``<output>/config.toml`` (``cw init``
writes one) unless a :class:`~cocowiki.WikiConfig` is given.

A wiki records the repository it was built from (``built_from`` in ``manifest.json``):
:func:`verify`, :func:`ask` and :func:`explain_dirty` read that repository unless
``repo`` names another one.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from .ask import DEFAULT_LIMIT, AskError, ModelCallFailed
from .config import WikiConfig, load_config
from .console import ProgressCallback
from .index import IndexConfig
from .pages.builder import BuildConfig, BuildError, build_wiki
from .pages.explain import explain_dirty as _explain
from .pages.manifest import read_manifest
from .pages.settings import build_config
from .pages.verification import DiagramChecker
from .paths import output_dir
from .results import Answer, BuildResult, DirtyExplanation, VerifyReport, from_json
from .verify import VerifyError, verify_wiki
from .wiki import Wiki, read_wiki

StrPath = str | PathLike[str]

__all__ = [
    "ask",
    "ask_with",
    "build",
    "build_with",
    "built_from_of",
    "explain_dirty",
    "explain_with",
    "load_wiki",
    "source_of",
    "verify",
    "verify_with",
]


def build(
    repo: StrPath,
    output: StrPath | None = None,
    *,
    config: WikiConfig | None = None,
    model: str | None = None,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    wait: float = 0.0,
) -> BuildResult:
    """Build the wiki of ``repo`` into ``output`` (default ``<repo>/.cocowiki``).

    Only what changed since the last build is computed again; a clean rebuild writes
    nothing and calls no model.

    Args:
        repo: the repository to document.
        output: where the wiki goes (``manifest.json``, ``pages/``, ``index.html``).
        config: the settings; default: ``<output>/config.toml``, else the defaults.
        model: write the pages with this model (``provider:model``, as
            ``tiffany.models.client`` takes it) instead of the deterministic writer.
        jobs: pages the model writes at once (default 4).
        progress: called as ``progress(phase, done, total)`` as each phase advances
            (``discover``, ``parse``, ``plan``, ``pages``, ...); ``cw build`` draws its
            bar from these calls.
        wait: seconds to wait for another build of the same output to finish.

    Returns:
        What the build did; ``result.ok`` when every page is verified.

    Raises:
        CocowikiError: the repository, the output or the settings cannot be used
            (``BuildBusy`` when another build holds the output past ``wait``).
    """
    repo_path = Path(repo)
    output_path = output_dir(repo_path, _path(output))
    settings = build_config(
        config if config is not None else load_config(output_path),
        model=model,
        jobs=4 if jobs is None else jobs,
    )
    return build_with(repo_path, output_path, settings, progress=progress, wait=wait)


def build_with(
    repo: Path,
    output: Path,
    settings: BuildConfig,
    *,
    progress: ProgressCallback | None = None,
    wait: float = 0.0,
) -> BuildResult:
    """:func:`build` with the settings of one build already worked out (``cw build``
    makes them from ``config.toml`` and its flags)."""
    try:
        found = build_wiki(repo, output, settings, progress=progress, wait=wait)
    except OSError as exc:
        message = f"cannot write the wiki in {output}: {exc.strerror or exc}"
        raise BuildError(message) from exc
    return from_json(BuildResult, found.summary())


def verify(
    output: StrPath,
    *,
    repo: StrPath | None = None,
    progress: ProgressCallback | None = None,
    diagram_cache: bool = True,
) -> VerifyReport:
    """Check the wiki in ``output`` against its repository as it is now.

    Every citation must still pin the same text, every research footprint give the same
    answer, every diagram parse and every internal link resolve. Nothing is written.

    Args:
        output: the wiki's folder.
        repo: the repository to check against (default: the one the wiki was built from).
        progress: called as ``progress(phase, done, total)``.
        diagram_cache: reuse the answers the build kept for unchanged diagrams.

    Returns:
        The report; ``report.ok`` when every check holds, else ``report.failures``.

    Raises:
        CocowikiError: there is no wiki in ``output``, or no repository to check.
    """
    output_path = Path(output)
    return verify_with(
        source_of(output_path, _path(repo)),
        output_path,
        progress=progress,
        diagram_cache=diagram_cache,
    )


def verify_with(
    repo: Path,
    output: Path,
    *,
    progress: ProgressCallback | None = None,
    diagram_cache: bool = True,
    index_config: IndexConfig | None = None,
    diagram_checker: DiagramChecker | None = None,
) -> VerifyReport:
    """:func:`verify` with a repository already chosen, and the knobs ``cw verify`` and
    the tests turn: the index settings and a mermaid checker shared across runs."""
    found = verify_wiki(
        repo,
        output,
        index_config=index_config or load_config(output).index,
        progress=progress,
        diagram_checker=diagram_checker,
        diagram_cache=diagram_cache,
    )
    return from_json(VerifyReport, found.summary())


def ask(
    output: StrPath,
    question: str,
    *,
    repo: StrPath | None = None,
    limit: int = DEFAULT_LIMIT,
    model: str | None = None,
) -> Answer:
    """Answer ``question`` about the code from the wiki's index, with cited evidence.

    Args:
        output: the wiki's folder (indexed first when it has no catalog yet).
        question: words or names, e.g. ``"how are requests retried?"``.
        repo: the repository (default: the one the wiki was built from).
        limit: how many pieces of evidence at most.
        model: ``provider:model`` for a short answer that may say only what the evidence
            shows; without one the answer is the ranked evidence alone.

    Returns:
        The evidence (best first), matching wiki sections, and the model's answer.

    Raises:
        CocowikiError: an empty question, a bad limit, no repository, a bad model
            (``ModelCallFailed`` when the model was reached but the call failed).
    """
    output_path = Path(output)
    return ask_with(source_of(output_path, _path(repo)), output_path, question, limit, model)


def ask_with(
    repo: Path,
    output: Path,
    question: str,
    limit: int = DEFAULT_LIMIT,
    model: str | None = None,
    index_config: IndexConfig | None = None,
) -> Answer:
    """:func:`ask` with a repository already chosen (and ``cw ask``'s index settings)."""
    from tiffany.models import ModelClient, ModelError, client

    from .ask import ask as ask_index

    if not question.strip():
        raise AskError('the question is empty: cw ask "how are requests retried?"')
    if limit < 1:
        raise AskError(f"--limit must be at least 1, not {limit}")
    if not repo.is_dir():
        raise AskError(f"repository path is not a directory: {repo}")
    llm: ModelClient | None = None
    try:
        llm = client(model) if model else None
    except ModelError as exc:
        raise AskError(f"model {model}: {exc}") from exc
    settings = index_config or load_config(output).index
    try:
        found = ask_index(repo, output, question, limit=limit, llm=llm, index_config=settings)
    except ModelError as exc:
        raise ModelCallFailed(f"model {model}: {exc}") from exc
    return from_json(Answer, found.to_json())


def explain_dirty(
    output: StrPath, page_id: str, *, repo: StrPath | None = None
) -> DirtyExplanation:
    """Why page ``page_id`` of the wiki in ``output`` would be built again now.

    Nothing is written to the wiki: the index is brought up to date in a copy.

    Raises:
        CocowikiError: no wiki in ``output``, or no page ``page_id`` in it.
    """
    output_path = Path(output)
    wiki = load_config(output_path)
    settings = BuildConfig(index=wiki.index, plan=wiki.plan)
    return explain_with(source_of(output_path, _path(repo)), output_path, page_id, settings)


def explain_with(repo: Path, output: Path, page_id: str, settings: BuildConfig) -> DirtyExplanation:
    """:func:`explain_dirty` with a repository and the build's settings already chosen."""
    found = _explain(repo, output, page_id, settings)
    return from_json(DirtyExplanation, found.as_json())


def load_wiki(output: StrPath) -> Wiki:
    """The wiki built in ``output``: its pages, module tree and manifest, and a lookup of
    the symbols it documents.

    Raises:
        CocowikiError: there is no wiki in ``output`` (run :func:`build` first).
    """
    return read_wiki(Path(output))


def source_of(output: Path, repo: Path | None = None) -> Path:
    """The repository to read for the wiki in ``output``: ``repo`` when given, else the
    one the wiki was built from (``built_from`` in its manifest).

    Raises :class:`~cocowiki.CocowikiError` when neither is known or the recorded one is
    gone.
    """
    if repo is not None:
        return repo
    built_from = built_from_of(output)
    if built_from is None:
        raise VerifyError(
            f"no wiki in {output} says where it was built from: run `cw build` first, "
            "or name the repository (repo=..., --repo)"
        )
    if not built_from.is_dir():
        raise VerifyError(
            f"the wiki in {output} was built from {built_from}, which is not a directory "
            "now; name the repository (repo=..., --repo)"
        )
    return built_from


def built_from_of(output: Path) -> Path | None:
    """The repository the manifest in ``output`` records, or None without a manifest."""
    manifest = read_manifest(output)
    if manifest is None:
        return None
    recorded = manifest.get("built_from") or (manifest.get("repository") or {}).get("path")
    return Path(recorded) if isinstance(recorded, str) and recorded else None


def _path(value: StrPath | None) -> Path | None:
    return None if value is None else Path(value)
