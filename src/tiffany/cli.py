"""The ``tiffany`` command line: the demo, the daemon, and the daemon's clients.

Client commands print tables for people and, with ``--json``, JSON for programs. Their
exit status says what happened, so scripts can branch on it:

- 0: done;
- 1: the daemon answered with an error (unknown task, bad arguments...), or a task
  waited for with ``spawn --wait`` did not finish successfully;
- 2: the command line itself was wrong;
- 3: no daemon answers at the socket (the message says how to start one).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .demo import run_demo

app = typer.Typer(
    help="tiffany: a coroutine-first runtime for agents.",
    no_args_is_help=True,
    add_completion=False,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

STATE_STYLES = {
    "running": "cyan",
    "finished": "green",
    "failed": "red",
    "cancelled": "yellow",
    "interrupted": "magenta",
}


def _socket_help() -> str:
    from .daemon.paths import SOCKET_HELP

    return SOCKET_HELP[0].upper() + SOCKET_HELP[1:] + "."


SocketOpt = Annotated[
    Path | None, typer.Option("--socket", help=_socket_help(), show_default=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


class Transport(StrEnum):
    """How the client commands reach the daemon."""

    http = "http"
    grpc = "grpc"


#: What the options before the command said (set anew by every invocation).
_SESSION: dict[str, Any] = {}


@app.callback()
def _main(
    transport: Annotated[
        Transport,
        typer.Option(
            "--transport",
            envvar="TIFFANY_TRANSPORT",
            case_sensitive=False,
            help="How client commands reach the daemon: its HTTP API or its gRPC service "
            "(the gRPC socket beside --socket, d.sock -> d.grpc.sock; needs the 'grpc' extra).",
        ),
    ] = Transport.http,
    grpc_target: Annotated[
        str | None,
        typer.Option(
            "--grpc-target",
            envvar="TIFFANY_GRPC_TARGET",
            metavar="HOST:PORT",
            help="With --transport grpc: loopback TCP (127.0.0.1:PORT) instead of the Unix "
            "socket, sending $TIFFANY_GRPC_TOKEN as the bearer token.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """tiffany: a coroutine-first runtime for agents."""
    _SESSION.update(transport=transport, grpc_target=grpc_target)


@app.command()
def demo(
    jobs: int = typer.Option(1000, min=1, help="How many jobs to push through the pipeline."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary for machines."),
) -> None:
    """Push jobs through a bounded channel to prioritised workers and a TCP echo server."""
    report = run_demo(jobs)
    if as_json:
        typer.echo(json.dumps(asdict(report), indent=2))
        return
    table = Table(title=f"tiffany demo: {report.jobs} jobs over TCP 127.0.0.1:{report.port}")
    table.add_column("worker")
    table.add_column("jobs echoed", justify="right")
    for name, count in sorted(report.per_worker.items()):
        table.add_row(name, str(count))
    console = Console()
    console.print(table)
    console.print(
        f"echoed {report.echoed}, timed out {report.timed_out} (a deliberately slow job "
        f"against a 0.2 s timeout), in {report.seconds:.3f} s"
    )


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


# -- the daemon ---------------------------------------------------------------------------
def _default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "tiffany"


@app.command()
def daemon(
    socket: SocketOpt = None,
    state: Annotated[
        Path | None,
        typer.Option(
            "--state",
            help="Directory for the persisted state (default: $XDG_STATE_HOME/tiffany, "
            "else ~/.local/state/tiffany).",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="TOML file naming the agents to host.", show_default=False),
    ] = None,
    grace: Annotated[
        float | None,
        typer.Option(
            "--grace",
            min=0,
            help="Seconds tasks get to finish on SIGTERM (default: config).",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING...")] = "INFO",
    serve_grpc: Annotated[
        bool,
        typer.Option(
            "--grpc",
            help="Also serve the gRPC API (tiffany.v1) on a Unix socket beside --socket "
            "(d.sock -> d.grpc.sock), mode 0600. Needs the 'grpc' extra.",
        ),
    ] = False,
    grpc_socket: Annotated[
        Path | None,
        typer.Option(
            "--grpc-socket", help="The gRPC socket's path (implies --grpc).", show_default=False
        ),
    ] = None,
    grpc_port: Annotated[
        int | None,
        typer.Option(
            "--grpc-port",
            min=0,
            max=65535,
            help="Also serve gRPC on 127.0.0.1:PORT (0: any free port), only to callers "
            "with the bearer token from $TIFFANY_GRPC_TOKEN or --grpc-token-file "
            "(implies --grpc).",
            show_default=False,
        ),
    ] = None,
    grpc_token_file: Annotated[
        Path | None,
        typer.Option(
            "--grpc-token-file",
            help="A file holding the bearer token for --grpc-port.",
            show_default=False,
        ),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="Run as the router of a sharded cluster on Ray: 'local' starts a local "
            "Ray cluster, else a Ray address to join. Needs the 'ray' extra.",
            show_default=False,
            metavar="ADDRESS|local",
        ),
    ] = None,
    shards: Annotated[
        int | None,
        typer.Option(
            "--shards",
            min=1,
            max=1000,
            help="With --cluster: how many shards (default: as last scaled, else 2).",
            show_default=False,
        ),
    ] = None,
    max_pending_calls: Annotated[
        int,
        typer.Option(
            "--max-pending-calls", min=1, help="With --cluster: Ray calls queued per shard."
        ),
    ] = 64,
    shard_cpus: Annotated[
        float,
        typer.Option("--shard-cpus", min=0, help="With --cluster: CPUs Ray reserves per shard."),
    ] = 0.0,
) -> None:
    """Run the daemon in the foreground: host agents, serve the API, keep state.

    SIGTERM (or Ctrl-C) drains running tasks and stops; a second Ctrl-C forces; SIGHUP
    reloads the config.
    """
    from .daemon.paths import resolve_socket_path
    from .daemon.server import DaemonOptions, run_daemon

    level = getattr(logging, log_level.upper(), None)
    if not isinstance(level, int):
        raise typer.BadParameter(f"unknown log level {log_level!r}", param_hint="--log-level")
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    socket_path = resolve_socket_path(socket)
    if cluster is not None:
        raise typer.Exit(
            _run_cluster(
                cluster, shards, socket_path, state, config, grace, max_pending_calls, shard_cpus
            )
        )
    if shards is not None:
        raise typer.BadParameter("--shards needs --cluster", param_hint="--shards")
    grpc_options = None
    if serve_grpc or grpc_socket is not None or grpc_port is not None:
        grpc_options = _grpc_options(socket_path, grpc_socket, grpc_port, grpc_token_file)
    options = DaemonOptions(
        socket_path=socket_path,
        state_dir=state if state is not None else _default_state_dir(),
        config_path=config,
        grace=grace,
        grpc=grpc_options,
    )
    raise typer.Exit(run_daemon(options))


def _run_cluster(
    address: str,
    shards: int | None,
    socket_path: Path,
    state: Path | None,
    config: Path | None,
    grace: float | None,
    max_pending_calls: int,
    shard_cpus: float,
) -> int:
    """``tiffany daemon --cluster``: the router in front of Ray-hosted shards."""
    from .cluster.router import ClusterUnavailable, RouterOptions, import_ray, run_router

    try:
        import_ray()
    except ClusterUnavailable as error:
        _error(str(error))
        return EXIT_USAGE
    options = RouterOptions(
        socket_path=socket_path,
        state_dir=state if state is not None else _default_state_dir() / "cluster",
        config_path=config.resolve() if config is not None else None,
        shards=shards,
        address=address,
        grace=grace,
        max_pending_calls=max_pending_calls,
        shard_cpus=shard_cpus,
    )
    return run_router(options)


def _grpc_options(
    socket_path: Path, grpc_socket: Path | None, port: int | None, token_file: Path | None
) -> Any:
    """The daemon's gRPC options, or exit 2 saying what is missing (the extra, a token)."""
    from .daemon.rpc import TOKEN_ENV, GrpcOptions, GrpcUnavailable, grpc_socket_path, require_grpc

    try:
        require_grpc()
    except GrpcUnavailable as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    token = None
    if port is not None:
        if token_file is not None:
            try:
                token = token_file.read_text().strip()
            except OSError as error:
                raise typer.BadParameter(str(error), param_hint="--grpc-token-file") from None
        else:
            token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise typer.BadParameter(
                f"serving gRPC over TCP needs a bearer token: set ${TOKEN_ENV} or pass "
                "--grpc-token-file",
                param_hint="--grpc-port",
            )
    return GrpcOptions(
        socket_path=grpc_socket if grpc_socket is not None else grpc_socket_path(socket_path),
        tcp_port=port,
        token=token,
    )


# -- clients ------------------------------------------------------------------------------
def _error(message: str, as_json: bool = False, status: int | None = None) -> None:
    """One line on stderr, never wrapped (it holds paths and commands); with ``--json``,
    ``{"error": ..., "status": ...}`` on stdout, as ``cw`` and ``tokimon`` do, so a
    script reads every answer, good or bad, from the same place."""
    if as_json:
        typer.echo(json.dumps({"error": message, "status": status}))
    else:
        where = f" ({status})" if status else ""
        typer.echo(f"tiffany: {message}{where}", err=True)


@contextmanager
def _client(socket: Path | None, as_json: bool = False) -> Iterator[Any]:
    """A connected client; daemon errors become exit statuses and one error message.

    Over HTTP or gRPC as ``--transport`` says: both clients have the same methods and
    answers, so no command knows which it has.
    """
    from .daemon.client import DaemonClient, DaemonUnreachable, RequestFailed

    client: Any
    if _SESSION.get("transport", Transport.http) is Transport.grpc:
        from .daemon.rpc import GrpcUnavailable, require_grpc

        try:
            require_grpc()
        except GrpcUnavailable as error:
            _error(str(error), as_json)
            raise typer.Exit(EXIT_USAGE) from None
        from .daemon.rpc.client import GrpcDaemonClient

        client = GrpcDaemonClient(socket, target=_SESSION.get("grpc_target"))
    else:
        client = DaemonClient(socket)
    try:
        yield client
    except DaemonUnreachable as error:
        _error(str(error), as_json)
        raise typer.Exit(EXIT_UNREACHABLE) from None
    except RequestFailed as error:
        _error(error.message, as_json, error.status or None)
        raise typer.Exit(EXIT_FAILED) from None
    finally:
        client.close()


def _print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


def _ago(timestamp: float | None, now: float) -> str:
    if timestamp is None:
        return ""
    seconds = max(0.0, now - timestamp)
    if seconds < 60:
        return f"{seconds:.0f}s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m ago"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h ago"
    return f"{seconds / 86400:.1f}d ago"


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _outcome(task: dict[str, Any]) -> str:
    if task.get("error"):
        return _short(task["error"])
    if task["state"] == "finished":
        return _short(task.get("result"))
    return task.get("waiting_on") or ""


def _task_table(tasks: list[dict[str, Any]], title: str | None = None) -> Table:
    now = time.time()
    table = Table(title=title)
    for column, justify in (("id", "right"), ("agent", "left"), ("state", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("started")
    table.add_column("took", justify="right")
    table.add_column("result / error / waiting on", overflow="fold")
    for task in tasks:
        ended = task.get("ended_at")
        took = f"{ended - task['created_at']:.2f}s" if ended is not None else ""
        style = STATE_STYLES.get(task["state"], "")
        table.add_row(
            str(task["id"]),
            task["agent"],
            f"[{style}]{task['state']}[/]" if style else task["state"],
            _ago(task.get("created_at"), now),
            took,
            _outcome(task),
        )
    return table


@app.command()
def ps(
    state: Annotated[
        str | None, typer.Option("--state", help="Only tasks in this state.", show_default=False)
    ] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Only this agent's tasks.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The newest N tasks.")] = 50,
    socket: SocketOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the daemon's tasks, running and ended."""
    with _client(socket, as_json) as client:
        tasks = client.tasks(state=state, agent=agent, limit=limit)
    if as_json:
        _print_json(tasks)
        return
    if not tasks:
        typer.echo("no tasks")
        return
    Console().print(_task_table(tasks))


@app.command()
def show(
    task_id: Annotated[int, typer.Argument(help="The task's id.", metavar="ID")],
    socket: SocketOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one task in full: arguments, result or error and traceback."""
    with _client(socket, as_json) as client:
        task = client.task(task_id)
    if as_json:
        _print_json(task)
        return
    console = Console()
    console.print(_task_table([task]))
    console.print(f"args: {json.dumps(task['args'])}", markup=False)
    if task["state"] == "finished":
        console.print(f"result: {json.dumps(task['result'], default=str)}", markup=False)
    if task.get("traceback"):
        console.print(task["traceback"].rstrip(), markup=False)


def _parse_args(pairs: list[str], json_args: str | None) -> dict[str, Any]:
    """``--json-args`` first, then each ``--arg k=v`` on top (the value read as JSON when
    it parses, as text otherwise)."""
    args: dict[str, Any] = {}
    if json_args is not None:
        try:
            parsed = json.loads(json_args)
        except json.JSONDecodeError as error:
            raise typer.BadParameter(f"not valid JSON: {error}", param_hint="--json-args") from None
        if not isinstance(parsed, dict):
            raise typer.BadParameter("must be a JSON object", param_hint="--json-args")
        args.update(parsed)
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected key=value, got {pair!r}", param_hint="--arg")
        try:
            args[key] = json.loads(text)
        except json.JSONDecodeError:
            args[key] = text
    return args


@app.command()
def spawn(
    agent: Annotated[str, typer.Argument(help="The configured agent's name.", metavar="AGENT")],
    arg: Annotated[
        list[str] | None,
        typer.Option("--arg", "-a", help="An argument, key=value (repeatable).", metavar="K=V"),
    ] = None,
    json_args: Annotated[
        str | None,
        typer.Option("--json-args", help="Arguments as a JSON object.", show_default=False),
    ] = None,
    priority: Annotated[
        str | None,
        typer.Option("--priority", help="CRITICAL, HIGH, NORMAL, LOW or IDLE.", show_default=False),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="In a cluster: the agent's placement key (its id on the hash ring).",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option("--wait", "-w", help="Wait for the task to end; exit 1 unless it finished."),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0,
            help="With --wait, give up after this many seconds.",
            show_default=False,
        ),
    ] = None,
    socket: SocketOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a task of AGENT with arguments."""
    args = _parse_args(arg or [], json_args)
    with _client(socket, as_json) as client:
        if key is not None:
            task = client.spawn(
                agent, args, priority=priority.upper() if priority else None, key=key
            )
        else:
            task = client.spawn(agent, args, priority=priority.upper() if priority else None)
        if wait:
            deadline = None if timeout is None else time.monotonic() + timeout
            while task["state"] == "running":
                left = 60.0 if deadline is None else min(60.0, deadline - time.monotonic())
                if left <= 0:
                    break
                task = client.task(task["id"], wait=left)
    if as_json:
        _print_json(task)
    else:
        if wait:
            Console().print(_task_table([task]))
        else:
            typer.echo(f"spawned task {task['id']} ({agent})")
    if wait and task["state"] != "finished":
        raise typer.Exit(EXIT_FAILED)


@app.command()
def cancel(
    task_id: Annotated[int, typer.Argument(help="The task's id.", metavar="ID")],
    socket: SocketOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cancel a running task (its cleanup runs)."""
    with _client(socket, as_json) as client:
        task = client.cancel(task_id)
    if as_json:
        _print_json(task)
    elif task["state"] == "running":
        typer.echo(f"task {task_id} is cancelling (its cleanup is still running)")
    else:
        typer.echo(f"task {task_id} {task['state']}")


@app.command()
def agents(socket: SocketOpt = None, as_json: JsonOpt = False) -> None:
    """List the agents the daemon hosts."""
    with _client(socket, as_json) as client:
        specs = client.agents()
    if as_json:
        _print_json(specs)
        return
    table = Table()
    for column in ("agent", "entry", "priority", "signature", "description"):
        table.add_column(column)
    for spec in specs:
        table.add_row(
            spec["name"], spec["entry"], spec["priority"], spec["signature"], spec["description"]
        )
    Console().print(table)


@app.command()
def stats(
    prometheus: Annotated[
        bool, typer.Option("--prometheus", help="Print the Prometheus text format.")
    ] = False,
    socket: SocketOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the daemon's metrics: tasks, requests, kernel counters."""
    with _client(socket, as_json) as client:
        if prometheus:
            typer.echo(client.metrics_text(), nl=False)
            return
        metrics = client.metrics()
        health = client.health()
    if as_json:
        _print_json({"health": health, "metrics": metrics})
        return
    kernel, http = metrics["kernel"], metrics["http"]
    table = Table(title=f"tiffany daemon pid {health['pid']} ({health['status']})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows: list[tuple[str, Any]] = [
        ("uptime", f"{metrics['uptime_seconds']:.0f}s"),
        ("agents", len(health["agents"])),
        *((f"tasks {state}", count) for state, count in metrics["tasks"].items()),
        ("requests", http["requests_total"]),
        *((f"responses {key}", count) for key, count in http["responses_by_status"].items()),
        ("connections open", http["connections_open"]),
        ("kernel tasks live", kernel["tasks_live"]),
        ("kernel steps", kernel["steps"]),
        ("slow steps", metrics["slow_steps"]),
        ("state writes", metrics["state_writes"]),
        ("state write failures", metrics["state_write_failures"]),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    console = Console()
    console.print(table)
    if "cluster" in metrics:
        console.print(_pressure_table(metrics["cluster"]))
    recovery = health["recovery"]
    if recovery["interrupted"]:
        console.print(f"interrupted at the last restart: {recovery['interrupted']}")
    if recovery["state_moved_aside"]:
        console.print(f"corrupt state moved aside to {recovery['state_moved_aside']}")
    if health["config"]["reload_error"]:
        console.print(f"[red]config reload failed:[/] {health['config']['reload_error']}")


def _pressure_table(cluster: dict[str, Any]) -> Table:
    """A cluster's shards and their pressure at both levels."""
    table = Table(title=f"shards ({len(cluster['shards'])}; backpressure at two levels)")
    for column in ("shard", "status", "boot", "running", "admission", "ray pending", "refused"):
        table.add_column(column, justify="left" if column in ("shard", "status") else "right")
    for name, shard in cluster["shards"].items():
        table.add_row(
            name,
            shard["status"],
            str(shard.get("boot", "-")),
            f"{shard.get('running', '-')}/{shard.get('max_running', '-')}",
            f"{shard.get('admission_pressure', 0):.0%}",
            f"{shard['ray_pending']}/{shard['max_pending_calls']}",
            f"{shard['refused_by_shard']} shard, {shard['rejected_by_ray']} ray",
        )
    return table


cluster_app = typer.Typer(help="Manage a sharded cluster (the daemon run with --cluster).")
app.add_typer(cluster_app, name="cluster")


@cluster_app.command("status")
def cluster_status(socket: SocketOpt = None, as_json: JsonOpt = False) -> None:
    """The shards: state, restarts, pressure."""
    with _client(socket, as_json) as client:
        info = client.call("GET", "/cluster")
    if as_json:
        _print_json(info)
        return
    Console().print(_pressure_table(info))
    if info["missing_shards"]:
        _error(f"not answering: {', '.join(info['missing_shards'])}")


@cluster_app.command("scale")
def cluster_scale(
    shards: Annotated[int, typer.Argument(min=1, max=1000, help="The new number of shards.")],
    grace: Annotated[
        float, typer.Option("--grace", min=0, help="Seconds a moving agent gets to drain.")
    ] = 10.0,
    socket: SocketOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add or remove shards; only the agents whose hash range moved are drained and moved."""
    with _client(socket, as_json) as client:
        answer = client.call(
            "POST",
            "/cluster/scale",
            json_body={"shards": shards, "grace": grace},
            timeout=grace + 300.0,  # draining takes as long as the agents' cleanup, then starts
        )
    if as_json:
        _print_json(answer)
        return
    typer.echo(
        f"{answer['previous']} -> {answer['shards']} shards: moved {len(answer['moved'])} of "
        f"{answer['agents']} running agents"
        + (f"; retired {', '.join(answer['retired'])}" if answer["retired"] else "")
    )
    for move in answer["moved"]:
        typer.echo(
            f"  {move['key']}: task {move['old_task']} on {move['from']} -> "
            f"task {move['new_task']} on {move['to']}"
            + (f" ({move['error']})" if move["error"] else "")
        )


@app.command()
def dump(socket: SocketOpt = None, as_json: JsonOpt = False) -> None:
    """Print every live task in the daemon's kernel with its stack (for stuck tasks)."""
    with _client(socket, as_json) as client:
        if as_json:
            _print_json(client.dump())
        else:
            typer.echo(client.dump_text(), nl=False)


def _log_line(event: dict[str, Any]) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(event.get("time", 0)))
    rest = {k: v for k, v in event.items() if k not in ("seq", "time", "event", "task", "agent")}
    who = ""
    if "task" in event:
        who = f" task {event['task']}" + (f" ({event['agent']})" if "agent" in event else "")
    detail = " ".join(f"{k}={_short(v, 80)}" for k, v in rest.items())
    return f"{stamp} {event.get('event')}{who} {detail}".rstrip()


@app.command()
def logs(
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing events as they happen.")
    ] = False,
    tail: Annotated[
        int | None,
        typer.Option("--tail", "-n", min=1, help="Only the last N events.", show_default=False),
    ] = None,
    socket: SocketOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the daemon's task events (spawned, finished, failed, ...)."""
    with _client(socket, as_json) as client:
        try:
            for event in client.logs(limit=tail, follow=follow):
                typer.echo(json.dumps(event) if as_json else _log_line(event))
        except KeyboardInterrupt:
            return


@app.command(name="shutdown")
def shutdown_command(
    grace: Annotated[
        float | None,
        typer.Option(
            "--grace",
            min=0,
            help="Seconds tasks get to finish (default: config).",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait until the daemon has stopped.")
    ] = True,
    timeout: Annotated[float, typer.Option("--timeout", min=0, help="How long to wait.")] = 120.0,
    socket: SocketOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Stop the daemon gracefully: running tasks get the grace period, state is saved."""
    with _client(socket, as_json) as client:
        answer = client.shutdown(grace)
        gone = client.wait_until_gone(timeout) if wait else None
    if as_json:
        _print_json({**answer, "stopped": gone})
    else:
        typer.echo(
            f"daemon stopping: {answer['running']} running task(s), "
            f"grace {answer['grace']:g}s"
            + (" (already stopping)" if answer["already_stopping"] else "")
        )
        if gone:
            typer.echo("daemon stopped")
    if gone is False:
        _error(f"the daemon is still up after {timeout:g}s")
        raise typer.Exit(EXIT_FAILED)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
