"""How fast ``cw mcp`` answers on the 500,000-line benchmark repository.

    python bench/cocowiki/mcp_latency.py               # large: Django 5.1.4 + rxjs 7.8.1
    python bench/cocowiki/mcp_latency.py --size small --rounds 5

The repository is the one ``wiki_speed.py`` assembles (fetched once with pip and npm into
``~/.cache/cocowiki-bench``); its wiki is built once into ``~/.cache/cocowiki-bench/mcp-<size>``
and reused while the tree is unchanged. Then one process serves it with
:func:`cocowiki.mcp.server.make_server` and the SDK's own client talks to it in-process,
so each time is a whole tool call (arguments validated, the tool run on a worker thread,
the answer serialised to JSON and parsed back) without a transport's own latency, which
the ``stdio`` line measures apart (a ``cw mcp`` subprocess, one lookup round trip).

* ``lookup_symbol``: the names of the components referenced most (classes, functions,
  methods), each looked up ``--rounds`` times;
* ``ask``: ``wiki_speed.py``'s questions (generic ones and the classes referenced most);
* ``--refresh``: what the index refresh costs before an answer when nothing changed.

Goals (issue 21): ``lookup_symbol`` under 20 ms and ``ask`` under 200 ms, on the median;
the p90 and the worst call are printed beside them, and the verdict uses the median.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from wiki_speed import CACHE, SIZES, assemble, catalog_rows, questions

GOALS_MS = {"lookup_symbol": 20.0, "ask": 200.0}
SYMBOLS = 20


def built(size: str) -> tuple[Path, Path]:
    """The size's tree and an output folder with its wiki built (once)."""
    repo = assemble(size, CACHE)
    output = CACHE / f"mcp-{size}"
    output.mkdir(parents=True, exist_ok=True)
    (output / "config.toml").write_text("[index]\nuse_git = false\n")
    from cocowiki.config import load_config
    from cocowiki.pages import build_wiki
    from cocowiki.pages.command import build_config

    started = time.perf_counter()
    summary = build_wiki(repo, output, build_config(load_config(output))).summary()
    took = time.perf_counter() - started
    print(
        f"wiki of {repo} ({summary['files']} files, {summary['lines']:,} lines, "
        f"{summary['pages']} pages) in {output}: {summary['pages_recomputed']} pages "
        f"recomputed in {took:.1f} s",
        flush=True,
    )
    return repo, output


def symbols(output: Path) -> list[str]:
    """The names of the components referenced most, qualified by their class when they are
    methods (``Model.save``), as an agent would ask for them."""
    rows = catalog_rows(
        output,
        "SELECT c.qualified_name, c.kind FROM refs r JOIN components c ON c.id = r.target_id "
        "WHERE c.kind IN ('class', 'function', 'method') GROUP BY c.id "
        f"ORDER BY count(*) DESC, c.qualified_name LIMIT {SYMBOLS}",
    )
    names = []
    for qualified, kind in rows:
        parts = str(qualified).split(".")
        names.append(".".join(parts[-2:]) if kind == "method" else parts[-1])
    return list(dict.fromkeys(names))


def stats(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median": statistics.median(ordered) * 1000,
        "p90": ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))] * 1000,
        "max": ordered[-1] * 1000,
    }


def line(name: str, seconds: list[float], calls: int) -> str:
    s = stats(seconds)
    goal = GOALS_MS.get(name)
    verdict = ""
    if goal is not None:
        verdict = f"  goal < {goal:.0f} ms: {'met' if s['median'] < goal else 'NOT MET'}"
    return (
        f"{name:<22} median {s['median']:8.1f} ms  p90 {s['p90']:8.1f} ms  "
        f"max {s['max']:8.1f} ms  ({calls} calls){verdict}"
    )


async def timed(
    call: Callable[[str, dict[str, Any]], Awaitable[Any]],
    tool: str,
    arguments: list[dict[str, Any]],
    rounds: int,
) -> list[float]:
    seconds = []
    for _ in range(rounds):
        for args in arguments:
            started = time.perf_counter()
            result = await call(tool, args)
            seconds.append(time.perf_counter() - started)
            if result.is_error:
                raise SystemExit(f"{tool}({args}) failed: {result.content[0].text}")
    return seconds


def in_process(repo: Path, output: Path, rounds: int) -> None:
    from mcp import Client

    from cocowiki.mcp.server import make_server
    from cocowiki.query import Wiki

    names = symbols(output)
    asked = questions(output)
    print(f"lookup_symbol names: {', '.join(names)}")
    print(f"ask questions: {', '.join(repr(q) for q in asked)}")

    async def main() -> None:
        for refresh in (False, True):
            server = make_server(Wiki.open(repo, output), refresh=refresh)
            async with Client(server) as client:
                await client.call_tool("ask", {"question": "warm up"})  # search.sqlite, caches
                suffix = " --refresh" if refresh else ""
                looked = await timed(
                    client.call_tool, "lookup_symbol", [{"name": n} for n in names], rounds
                )
                print(line("lookup_symbol" + suffix, looked, len(looked)), flush=True)
                if refresh:
                    continue  # ask with --refresh adds the same refresh as lookup_symbol
                answered = await timed(
                    client.call_tool, "ask", [{"question": q} for q in asked], rounds
                )
                print(line("ask", answered, len(answered)), flush=True)

    anyio.run(main)


def over_stdio(repo: Path, output: Path, name: str) -> None:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "cocowiki.cli", "mcp", "--repo", str(repo), "--output", str(output)],
    )

    async def main() -> None:
        started = time.perf_counter()
        async with Client(params) as client:
            ready = time.perf_counter() - started
            seconds = await timed(client.call_tool, "lookup_symbol", [{"name": name}], 10)
        s = stats(seconds)
        print(
            f"{'stdio lookup_symbol':<22} median {s['median']:8.1f} ms  p90 {s['p90']:8.1f} ms  "
            f"max {s['max']:8.1f} ms  (10 calls; server start and handshake {ready:.2f} s)"
        )

    anyio.run(main)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", default="large", choices=sorted(SIZES))
    parser.add_argument("--rounds", type=int, default=3, help="times each call is made")
    args = parser.parse_args()
    repo, output = built(args.size)
    in_process(repo, output, args.rounds)
    over_stdio(repo, output, symbols(output)[0])


if __name__ == "__main__":
    main()
