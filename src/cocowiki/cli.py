"""The ``cw`` command line: thin typer wrappers over the library's command functions.

Each sub-command forwards to a plain function that returns an exit status, so the same
behaviour is importable and testable without typer. Settings come from
``<output>/config.toml`` (written by ``cw init``); a bad config file is a one-line error and
exit status 2, like any other bad input.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import typer

from . import __version__
from .ask.command import run_ask_command
from .config import ConfigError, WikiConfig, init_config, load_config
from .console import report_error
from .index.command import run_index_command
from .mcp import DEFAULT_PORT, run_mcp_command
from .pages.builder import BuildConfig
from .pages.command import run_build_command
from .pages.explaincommand import run_explain_dirty_command
from .pages.settings import build_config
from .paths import output_dir
from .plan.command import run_plan_command
from .verify.command import run_validate_footprints_command, run_verify_command
from .viewer.serve import run_serve_command

app = typer.Typer(
    help="cocowiki: a living, verified wiki of a repository.",
    no_args_is_help=True,
    add_completion=False,
)

RepoOption = typer.Option(
    None, "--repo", help="Repository to read (default: the current directory)."
)
OutputOption = typer.Option(None, "--output", help="Output directory (default: REPO/.cocowiki).")
BuiltFromOption = typer.Option(
    None,
    "--repo",
    help="Repository to read (default: the one the wiki was built from, else the current "
    "directory).",
)
JsonOption = typer.Option(False, "--json", help="Print a machine-readable JSON summary.")


def _fail(command: str, message: str, as_json: bool) -> typer.Exit:
    return typer.Exit(report_error(command, message, as_json, sys.stdout, sys.stderr))


def _config(command: str, output: Path, as_json: bool) -> WikiConfig:
    try:
        return load_config(output)
    except ConfigError as exc:
        raise _fail(command, str(exc), as_json) from None


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def init(
    repo: Path | None = RepoOption,
    output: Path | None = OutputOption,
    force: bool = typer.Option(False, "--force", help="Overwrite an existing config.toml."),
    as_json: bool = JsonOption,
) -> None:
    """Write a commented config.toml (include/exclude globs, languages, limits, writer)."""
    if repo is not None and not repo.is_dir():
        raise _fail("init", f"repository path is not a directory: {repo}", as_json)
    try:
        path = init_config(output_dir(repo, output), force=force)
    except (ConfigError, OSError) as exc:
        raise _fail("init", str(exc), as_json) from None
    if as_json:
        typer.echo(json.dumps({"config": str(path)}))
    else:
        typer.echo(f"wrote {path}: edit it, then run `cw build`")


@app.command()
def index(
    repo: Path | None = RepoOption,
    output: Path | None = OutputOption,
    as_json: bool = JsonOption,
) -> None:
    """Parse the repository's source files into the catalog (components and references)."""
    config = _config("index", output_dir(repo, output), as_json)
    raise typer.Exit(run_index_command(repo, output, as_json=as_json, config=config.index))


@app.command()
def plan(
    repo: Path | None = RepoOption,
    output: Path | None = OutputOption,
    model: str | None = typer.Option(
        None,
        "--model",
        help="provider:model that groups the files into modules (default: \\[plan] model; "
        "none: directories only). See docs/cocowiki/plan.md.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Cut the repository into a module tree, one page per module (indexing first if stale)."""
    config = _config("plan", output_dir(repo, output), as_json)
    plan_config = config.plan if model is None else replace(config.plan, model=model)
    status = run_plan_command(
        repo, output, as_json=as_json, config=plan_config, index_config=config.index
    )
    raise typer.Exit(status)


@app.command()
def build(
    repo: Path | None = RepoOption,
    output: Path | None = OutputOption,
    strict: bool = typer.Option(
        False, "--strict", help="Exit with status 1 when any page is left unverified."
    ),
    wait: float = typer.Option(
        0.0,
        "--wait",
        min=0,
        help="Seconds to wait for another build of the same output (default: exit at once).",
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        help="Write pages with this model (provider:model, as tiffany.models takes it; "
        "default: \\[writer] model). Keys come from the environment only.",
    ),
    pages: str | None = typer.Option(
        None,
        "--pages",
        help="Ask the model only for these page ids (comma-separated), written first, "
        "in this order.",
    ),
    jobs: int = typer.Option(4, "--jobs", help="Pages written by the model at once."),
    max_calls: int | None = typer.Option(
        None, "--max-calls", help="Stop asking the model after this many calls."
    ),
    max_cost: float | None = typer.Option(
        None, "--max-cost", help="Stop asking the model once this many USD are spent."
    ),
    estimate: bool = typer.Option(
        False, "--estimate", help="Print pages, calls, tokens and cost; call no model."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Build the wiki: index and plan (whatever is stale), then every page and the viewer."""
    config = _config("build", output_dir(repo, output), as_json)
    try:
        settings = build_config(
            config, model=model, pages=pages, jobs=jobs, max_calls=max_calls, max_cost=max_cost
        )
    except ConfigError as exc:
        raise _fail("build", str(exc), as_json) from None
    status = run_build_command(
        repo,
        output,
        as_json=as_json,
        strict=strict,
        wait=wait,
        config=settings,
        estimate=estimate,
    )
    raise typer.Exit(status)


PageArgument = typer.Argument(..., help="Page id (as in manifest.json and the viewer's URLs).")


@app.command("explain-dirty")
def explain_dirty(
    page: str = PageArgument,
    repo: Path | None = BuiltFromOption,
    output: Path | None = OutputOption,
    as_json: bool = JsonOption,
) -> None:
    """Why a page would be rebuilt: the chain from changed files to it, or "clean"."""
    config = _config("explain-dirty", output_dir(repo, output), as_json)
    status = run_explain_dirty_command(
        repo,
        output,
        page,
        as_json=as_json,
        config=BuildConfig(index=config.index, plan=config.plan),
    )
    raise typer.Exit(status)


@app.command()
def serve(
    repo: Path | None = RepoOption,
    output: Path | None = OutputOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on (0 picks a free one)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the viewer in a browser."),
) -> None:
    """Serve the built wiki's viewer over HTTP until Ctrl-C."""
    raise typer.Exit(
        run_serve_command(repo, output, host=host, port=port, open_browser=open_browser)
    )


@app.command()
def verify(
    repo: Path | None = BuiltFromOption,
    output: Path | None = OutputOption,
    no_cache: bool = typer.Option(
        False,
        "--no-cache",
        help="Parse every diagram again, even those the same mermaid already parsed.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Re-check the built wiki against the tree now: citations, footprints, diagrams, links."""
    config = _config("verify", output_dir(repo, output), as_json)
    status = run_verify_command(
        repo, output, as_json=as_json, index_config=config.index, diagram_cache=not no_cache
    )
    raise typer.Exit(status)


@app.command()
def mcp(
    repo: Path | None = RepoOption,
    output: Path | None = OutputOption,
    http: bool = typer.Option(
        False,
        "--http",
        help="Serve streamable HTTP on 127.0.0.1 (token from COCOWIKI_MCP_TOKEN, or one is "
        "made and printed) instead of stdio.",
    ),
    port: int = typer.Option(DEFAULT_PORT, "--port", help="HTTP port (0 picks a free one)."),
    refresh: bool = typer.Option(
        False, "--refresh", help="Bring the index up to date before each answer."
    ),
    model: str | None = typer.Option(
        None, "--model", help="provider:model for ask's short grounded answer (default: none)."
    ),
) -> None:
    """Serve the wiki to coding agents over the Model Context Protocol (stdio or HTTP)."""
    raise typer.Exit(
        run_mcp_command(repo, output, http=http, port=port, refresh=refresh, model=model)
    )


ArtifactArgument = typer.Argument(..., help="artifacts/research/<module>.json of a wiki.")
research_app = typer.Typer(help="Research artifacts of a built wiki.", no_args_is_help=True)
app.add_typer(research_app, name="research")


@research_app.command("validate-footprints")
def validate_footprints(
    artifact: Path = ArtifactArgument,
    repo: Path | None = RepoOption,
    output: Path | None = OutputOption,
    as_json: bool = JsonOption,
) -> None:
    """Run one research artifact's lookups again and compare their fingerprints."""
    config = _config("research", output_dir(repo, output), as_json)
    status = run_validate_footprints_command(
        artifact, repo, output, as_json=as_json, index_config=config.index
    )
    raise typer.Exit(status)


ScoutModelOption = typer.Option(
    None,
    "--model",
    help="The scout model (provider:model, as tiffany.models takes it; default: "
    "\\[research] model). Keys come from the environment only.",
)
FrozenAnswerOption = typer.Option(
    None, "--output", help="Write the frozen answer here (default: print it)."
)
AnswersArgument = typer.Argument(..., help="Frozen answers or research artifacts.")
NotebookFileOption = typer.Option(
    None, "--output", help="Write the notebook here (default: print it)."
)
WikiOption = typer.Option(
    None, "--wiki", help="The wiki directory (default: REPO/.cocowiki): config and catalog."
)


@research_app.command("explore")
def research_explore(
    question: str = typer.Argument(..., help="The question, in words."),
    module: str = typer.Option(..., "--module", help="The module (page id) it is about."),
    question_id: str = typer.Option(..., "--question-id", help="The question's id."),
    artifact: Path | None = FrozenAnswerOption,
    repo: Path | None = RepoOption,
    wiki: Path | None = WikiOption,
    model: str | None = ScoutModelOption,
    as_json: bool = JsonOption,
) -> None:
    """Run the scout on one question and freeze its answer with its footprints."""
    from .pages.researchcommand import run_explore_command

    status = run_explore_command(
        question,
        repo,
        wiki,
        module=module,
        question_id=question_id,
        artifact_file=artifact,
        model=model,
        as_json=as_json,
    )
    raise typer.Exit(status)


@research_app.command("notebook")
def research_notebook(
    artifacts: list[Path] = AnswersArgument,
    module: str = typer.Option(..., "--module", help="The module they are about."),
    notebook: Path | None = NotebookFileOption,
    title: str | None = typer.Option(None, "--title", help="The module's title."),
    as_json: bool = JsonOption,
) -> None:
    """Gather frozen answers about one module into a ModuleNotebook."""
    from .pages.researchcommand import run_notebook_command

    raise typer.Exit(
        run_notebook_command(artifacts, module, notebook, title=title, as_json=as_json)
    )


@app.command()
def explore(
    question: str = typer.Argument(..., help="A question about the code, in words."),
    repo: Path | None = RepoOption,
    output: Path | None = OutputOption,
    model: str | None = ScoutModelOption,
    as_json: bool = JsonOption,
) -> None:
    """Ask the scout a question live: print its answer and footprints, freeze nothing."""
    from .pages.researchcommand import run_explore_command

    status = run_explore_command(question, repo, output, model=model, freeze=False, as_json=as_json)
    raise typer.Exit(status)


JudgeOption = typer.Option(
    None,
    "--judge",
    help="A judge model (provider:model); repeat for several judges. Without one, only "
    "the deterministic measures.",
)
CompareOption = typer.Option(None, "--compare", help="Another wiki folder, judged side by side.")
ReferenceOption = typer.Option(
    None, "--reference", help="The documentation rubrics are built from (default: README, docs/)."
)


@app.command("eval")
def evaluate(
    repo: Path | None = RepoOption,
    output: Path | None = OutputOption,
    reference: Path | None = ReferenceOption,
    judge: list[str] | None = JudgeOption,
    repeats: int = typer.Option(1, "--repeats", help="Judging passes per judge (the spread)."),
    compare: Path | None = CompareOption,
    as_json: bool = JsonOption,
) -> None:
    """Measure the wiki (citations, API coverage, diagrams, links, truthfulness) and judge
    it on a rubric built from the repository's own documentation."""
    from .eval import run_eval_command

    status = run_eval_command(
        repo,
        output,
        reference=reference,
        judges=judge or [],
        repeats=repeats,
        compare=compare,
        as_json=as_json,
    )
    raise typer.Exit(status)


@app.command()
def ask(
    question: str = typer.Argument(..., help="A question about the code, in words or names."),
    repo: Path | None = BuiltFromOption,
    output: Path | None = OutputOption,
    limit: int = typer.Option(8, "--limit", "-n", help="How many pieces of evidence."),
    model: str | None = typer.Option(
        None,
        "--model",
        help="provider:model for a short grounded answer (default: \\[writer] model when "
        "its kind is 'model'; otherwise none: the evidence alone).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Answer a question from the index (and the wiki), citing path:start-end evidence."""
    config = _config("ask", output_dir(repo, output), as_json)
    if model is None and config.writer.kind == "model":
        model = config.writer.model
    status = run_ask_command(
        repo,
        output,
        question,
        as_json=as_json,
        limit=limit,
        model=model,
        index_config=config.index,
    )
    raise typer.Exit(status)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
