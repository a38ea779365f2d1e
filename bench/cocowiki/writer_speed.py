"""The model writer's own cost: every page written by a model that answers at once.

    python bench/cocowiki/writer_speed.py                 # the 500,000-line repository
    python bench/cocowiki/writer_speed.py --size small    # click, a quick look

The repository is ``wiki_speed.py``'s (fetched once with pip and npm, cached in
``~/.cache/cocowiki-bench``): large is Django 5.1.4 and rxjs 7.8.1, about 500,000 lines.
The model is ``scripted:`` (``tiffany.models``' scripted provider, in the build's own
process, no network): one JSONL entry, repeated, answers every call at once with the same
page. That page cites a real line of the repository (line 1 of a file of the tree,
named in the output), holds one Mermaid diagram and a delimited summary, so it passes
the review (citations resolved, the diagram parsed by mermaid, links, kept markers) on
the first round: no repair round is asked, and the output says how many were. The
model is never asked for tools or sub-pages (a model decides those while it writes).
Every call's input and output tokens are counted by the provider's estimate
(``estimate_tokens`` of the prompt), as ``--estimate`` counts them.

Stages, each a ``build_wiki`` in a process of its own, its process tree sampled every
50 ms for peak memory and CPU (``wiki_speed.measure_command``):

* ``deterministic``: the build from nothing with no model, the baseline;
* ``model``: the build from nothing with the scripted model, on the same working copy
  into another output folder: everything the deterministic build does, plus each page's
  source pack, the model call, the review and the records (``model/pages/``, the
  response cache ``model/responses/``). The child times the writer's parts, summed over
  pages (they overlap: pages are written concurrently, reviews in worker threads):
  packing (``ModelWriter.prepare``), checking (``Reviewer.__call__``), writing the
  record (``ModelRecords.put``) and the model client's call (the scripted answer, the
  response cache and the ledger);
* ``rerun``: the model build again, nothing changed: it must ask the model nothing;
* ``edit``: one line of one Python function changed (``wiki_speed.edit_one_line``), the
  model build again: it must ask only the pages whose source pack holds that file
  (and no parent, since the summaries do not change). The page holding the edited file
  is named, with the pages asked.

The one-line edit is set against CodeWiki's anchor: its incremental ``--update`` on a
large JavaScript repository cost $0.34 and 3 minutes against $21.48 and 2 h 46 min for
its full run, 1.6% of the cost and 1.8% of the time. Ours is the edit's tokens (and the
cost at a listed price) over the full model build's, and its seconds over the build's.

Goals (issue 15): the model build under 2x the deterministic build's seconds, its peak
memory under 2x the deterministic build's and under 2 GiB; a clean rerun with zero
calls; the edit asks only the affected pages, below CodeWiki's cost ratio. Measured
numbers: ``docs/cocowiki/benchmarks.md`` and ``docs/cocowiki/writer.md``.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import wiki_speed

STAGES = ("deterministic", "model", "rerun", "edit")
#: CodeWiki's incremental update against its full run (the issue's anchor).
CODEWIKI_COST = (0.34, 21.48)
CODEWIKI_MINUTES = (3.0, 2 * 60 + 46.0)
#: A listed price to turn tokens into dollars for the ratio (input and output differ).
PRICED_MODEL = "gpt-4o-mini"
IMPORTS = ("cocowiki.pages", "cocowiki.index", "cocowiki.viewer", "tiffany.models")


def answer_page(cited: str) -> str:
    """The page the scripted model answers with: cited prose, a diagram, a summary."""
    return (
        "# Module guide\n\n## Introduction\n\n"
        f"This guide was written by the benchmark's scripted model `{cited}:1-1`.\n\n"
        "## Architecture\n\n```mermaid\nflowchart LR\n  caller --> callee\n```\n\n"
        "## Summary\n\n<!-- cw:summary -->\nA module of the benchmark repository.\n"
        "<!-- /cw:summary -->\n"
    )


def cited_file(repo: Path) -> str:
    """The first Python file of the tree (by path) whose first line is not empty."""
    for path in sorted(repo.rglob("*.py")):
        with path.open(encoding="utf-8", errors="replace") as text:
            if text.readline().strip():
                return path.relative_to(repo).as_posix()
    raise SystemExit(f"no Python file with a first line in {repo}")


def write_script(folder: Path, cited: str) -> Path:
    script = folder / "answers.jsonl"
    script.write_text(json.dumps({"text": answer_page(cited), "repeat": True}) + "\n")
    return script


# -- the child side: one build, timed ------------------------------------------------------


class PartTimes:
    """Seconds spent in a few functions, summed over their calls (any thread)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def add(self, part: str, seconds: float) -> None:
        self.seconds[part] = self.seconds.get(part, 0.0) + seconds
        self.calls[part] = self.calls.get(part, 0) + 1

    def wrap(self, owner: Any, name: str, part: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(part, time.perf_counter() - started)

        setattr(owner, name, timed)

    def wrap_async(self, owner: Any, name: str, part: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.add(part, time.perf_counter() - started)

        setattr(owner, name, timed)


def child_build(repo: Path, output: Path, model: str | None) -> dict[str, Any]:
    """One ``build_wiki`` (with ``model``, a ``scripted:`` spec, or none) and its numbers."""
    for module in IMPORTS:
        importlib.import_module(module)
    from cocowiki.config import WriterConfig
    from cocowiki.index import IndexConfig
    from cocowiki.pages import BuildConfig, build_wiki
    from cocowiki.pages.modelreview import Reviewer
    from cocowiki.pages.modelstore import ModelRecords
    from cocowiki.pages.modelwriter import ModelWriter
    from tiffany.models import Client

    parts = PartTimes()
    parts.wrap(ModelWriter, "prepare", "pack")
    parts.wrap(Reviewer, "__call__", "check")
    parts.wrap(ModelRecords, "put", "record")
    parts.wrap_async(Client, "complete", "call")
    config = BuildConfig(index=IndexConfig(use_git=False))
    if model is not None:
        config = BuildConfig(index=config.index, writer=WriterConfig(model=model))
    started = time.perf_counter()
    startup_cpu = _own_cpu()
    result = build_wiki(repo, output, config)
    seconds = time.perf_counter() - started
    summary = result.summary()
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    writers = [page["writer"] for page in manifest["pages"] if page.get("writer")]
    made = set((summary.get("model") or {}).get("asked", []))
    by_page = {
        page["id"]: (page["writer"]["input_tokens"], page["writer"]["output_tokens"])
        for page in manifest["pages"]
        if page["id"] in made and page.get("writer")
    }
    return {
        "seconds": seconds,
        "startup_cpu": startup_cpu,
        "own_cpu": _own_cpu(),
        "self_maxrss_mib": _maxrss_mib(),
        "pages": summary["pages"],
        "recomputed": len(result.recomputed),
        "timings": summary["timings"],
        "model": summary.get("model"),
        "parts": parts.seconds,
        "part_calls": parts.calls,
        "pages_input_tokens": [w["input_tokens"] for w in writers],
        "pages_output_tokens": [w["output_tokens"] for w in writers],
        "tokens_by_page": by_page,
        "rounds": sum(w["rounds"] for w in writers),
        "unverified": sorted(page["id"] for page in manifest["pages"] if page.get("problems")),
        "first_problem": next(
            (f"{p['id']}: {p['problems'][0]}" for p in manifest["pages"] if p.get("problems")),
            None,
        ),
    }


def _own_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _maxrss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the parent side -----------------------------------------------------------------------


def measure(repo: Path, output: Path, model: str | None, stage: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", "--repo", str(repo), "--output", str(output)]
    command += ["--model", model] if model else []
    return wiki_speed.measure_command(command, f"{stage} failed on {repo}")


def asked(numbers: dict[str, Any]) -> list[str]:
    model = numbers.get("model") or {}
    return list(model.get("asked", []))


def bench(size: str, cache: Path) -> None:
    tree = wiki_speed.assemble(size, cache)
    load_before = os.getloadavg()
    lines: list[str] = []
    with tempfile.TemporaryDirectory(dir=cache, prefix=f"writer-{size}-") as scratch:
        folder = Path(scratch)
        edited = ""
        copy = folder / "tree"
        shutil.copytree(tree, copy, copy_function=os.link)
        copied = time.time()
        cited = cited_file(copy)
        model = f"scripted:{write_script(folder, cited)}"
        time.sleep(max(0.0, copied + wiki_speed.SETTLE_SECONDS - time.time()))
        det_out, model_out = folder / "det", folder / "model"
        done: dict[str, dict[str, Any]] = {}
        print(f"{'stage':<14} {'secs':>8} {'wall':>8} {'cpu':>8} {'peak MiB':>9}  notes")
        for stage in STAGES:
            note = ""
            if stage == "deterministic":
                numbers = measure(copy, det_out, None, stage)
            else:
                if stage == "edit":
                    edited = wiki_speed.edit_one_line(copy, model_out)
                    note = f"edit {edited}"
                numbers = measure(copy, model_out, model, stage)
            done[stage] = numbers
            print(
                f"{stage:<14} {numbers['seconds']:>8.2f} {numbers['wall']:>8.2f} "
                f"{numbers['cpu_seconds']:>8.2f} {numbers['peak_mib']:>9.0f}  "
                f"{numbers['pages']} pages, {numbers['recomputed']} built, "
                f"{len(asked(numbers))} asked {note}".rstrip(),
                flush=True,
            )
        holding = holding_pages(model_out, edited.rpartition(":")[0])
        lines += report(done, cited, holding)
    load_after = os.getloadavg()
    print()
    print("\n".join(lines))
    print(
        f"\nmachine: {os.cpu_count()} cores; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after"
    )
    print(wiki_speed.measured_code())


def report(done: dict[str, dict[str, Any]], cited: str, holding: list[str]) -> list[str]:
    det, full, rerun, edit = (done[s] for s in STAGES)
    out = [f"scripted answer: one fixed page citing {cited}:1-1, a diagram and a summary"]
    for name, numbers in done.items():
        phases = ", ".join(f"{k} {v:.2f}" for k, v in sorted(numbers["timings"].items()))
        out.append(f"{name} phases (s): {phases}")
    parts = full["parts"]
    counts = full["part_calls"]
    out.append(
        "model writer parts, summed over pages (s; they overlap): "
        + ", ".join(f"{k} {parts[k]:.2f} ({counts[k]} calls)" for k in sorted(parts))
    )
    inputs, outputs = full["pages_input_tokens"], full["pages_output_tokens"]
    if inputs:
        out.append(
            f"tokens per page ({len(inputs)} model pages): input median "
            f"{statistics.median(inputs):,.0f}, max {max(inputs):,}; output median "
            f"{statistics.median(outputs):,.0f}, max {max(outputs):,}; total input "
            f"{sum(inputs):,}, output {sum(outputs):,}"
        )
    unverified = full["unverified"]
    out.append(
        f"review: {full['rounds']} repair rounds asked; {len(unverified)} pages unverified"
        + (f" (first: {full['first_problem']})" if unverified else "")
    )
    full_calls = (full["model"] or {}).get("calls", 0)
    rerun_calls = (rerun["model"] or {}).get("calls", 0)
    edit_asked = asked(edit)
    out.append(f"clean rerun: {rerun_calls} model calls, {rerun['recomputed']} pages built")
    out.append(
        f"one-line edit: {(edit['model'] or {}).get('calls', 0)} model calls, pages asked "
        f"{', '.join(edit_asked) or 'none'}; pages holding the edited file: "
        f"{', '.join(holding) or 'none'}"
    )
    out += anchor(full, edit, full_calls)
    out.append("")
    out.append("goals (issue 15):")
    ratio = full["seconds"] / det["seconds"]
    peak_ratio = full["peak_mib"] / det["peak_mib"]
    out.append(_goal("model build / deterministic build, secs", ratio < 2, f"{ratio:.2f}x < 2x"))
    out.append(
        _goal(
            "model build peak memory",
            peak_ratio < 2 and full["peak_mib"] < 2048,
            f"{full['peak_mib']:.0f} MiB, {peak_ratio:.2f}x the deterministic "
            f"{det['peak_mib']:.0f} MiB (< 2x, < 2048 MiB)",
        )
    )
    out.append(_goal("clean rerun asks nothing", rerun_calls == 0, f"{rerun_calls} calls"))
    out.append(
        _goal(
            "one-line edit asks only the pages holding the file",
            bool(edit_asked) and set(edit_asked) <= set(holding),
            f"asked {len(edit_asked)}, holding {len(holding)}",
        )
    )
    return out


def anchor(full: dict[str, Any], edit: dict[str, Any], full_calls: int) -> list[str]:
    """The edit against the full build, beside CodeWiki's incremental update."""
    from tiffany.models import Usage
    from tiffany.models.accounting import price_for

    full_in, full_out = sum(full["pages_input_tokens"]), sum(full["pages_output_tokens"])
    edit_in, edit_out = edit_tokens(edit)
    edit_calls = (edit["model"] or {}).get("calls", 0)
    price = price_for(PRICED_MODEL)
    assert price is not None
    full_cost = price.cost(Usage(full_in, full_out)) or 0.0
    edit_cost = price.cost(Usage(edit_in, edit_out)) or 0.0
    codewiki_cost = CODEWIKI_COST[0] / CODEWIKI_COST[1]
    codewiki_time = CODEWIKI_MINUTES[0] / CODEWIKI_MINUTES[1]
    ours_cost = edit_cost / full_cost if full_cost else 0.0
    ours_time = edit["seconds"] / full["seconds"]
    return [
        f"edit against the full model build: {edit_calls}/{full_calls} calls, "
        f"{edit_in:,}/{full_in:,} input and {edit_out:,}/{full_out:,} output tokens, "
        f"${edit_cost:.4f}/${full_cost:.2f} at {PRICED_MODEL}'s listed price = "
        f"{ours_cost:.2%} of the cost; {edit['seconds']:.1f}/{full['seconds']:.1f} s = "
        f"{ours_time:.2%} of the time (the scripted model answers at once: a real model's "
        "time would scale with the calls, as the cost does)",
        f"CodeWiki's anchor: ${CODEWIKI_COST[0]}/${CODEWIKI_COST[1]} = {codewiki_cost:.2%} "
        f"of the cost, {CODEWIKI_MINUTES[0]:.0f}/{CODEWIKI_MINUTES[1]:.0f} min = "
        f"{codewiki_time:.2%} of the time; ours is {ours_cost / codewiki_cost:.2f}x its "
        f"ratio ({'below' if ours_cost < codewiki_cost else 'NOT below'} the anchor)",
    ]


def edit_tokens(edit: dict[str, Any]) -> tuple[int, int]:
    """Tokens of the calls the edit made (the manifest entries of the pages it asked)."""
    by_page = edit["tokens_by_page"].values()
    return sum(i for i, _ in by_page), sum(o for _, o in by_page)


def holding_pages(output: Path, edited: str) -> list[str]:
    """The pages of the module tree whose files hold the edited file."""
    from cocowiki.plan import read_module_tree

    return sorted(m.id for m in read_module_tree(output) if edited in m.files)


def _goal(name: str, ok: bool, value: str) -> str:
    return f"{'PASS' if ok else 'FAIL'}  {name}: {value}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", default="large", choices=tuple(wiki_speed.SIZES))
    parser.add_argument("--cache", type=Path, default=wiki_speed.CACHE)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repo", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_build(args.repo, args.output, args.model)))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    bench(args.size, args.cache)


if __name__ == "__main__":
    main()
