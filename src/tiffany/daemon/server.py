"""The daemon: one kernel hosting the agents, its API on a Unix socket, its state on disk.

Who does what inside the kernel:

- the **main task** starts the services, then waits for a reason to stop (SIGTERM, a
  first SIGINT, ``POST /shutdown``, or a shutdown the kernel began by itself) and runs
  the kernel's graceful shutdown, from which it is exempt: intake stops, agent tasks get
  the grace period to finish, what is left is cancelled (and recorded ``interrupted``),
  cleanups flush the state and end the log streams, system tasks stop last;
- **system tasks**, which never hold a shutdown up: the API server (one more system task
  per connection, so status queries keep working while the daemon drains), the state
  writer, and the signal watcher (SIGHUP reloads the config; a second SIGINT forces);
- **agent tasks**, ordinary tasks spawned through the API (see :mod:`.registry`).

The socket is created mode 0600 (only its owner may talk to the daemon) in a directory
created 0700; the state directory is locked, so two daemons never share one.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__, net
from ..api import run, shutdown, spawn
from ..cancel import move_on_after
from ..graceful import ShutdownReport
from ..runstate import current_kernel
from ..signals import open_signal_receiver
from ..supervise import Restart
from ..sync import Event
from ..task import Task
from ..telemetry import Metrics, SlowStepDetector
from .app import Api
from .config import RESTART_ONLY, ConfigError, DaemonConfig, load_config
from .events import EventLog
from .http import HttpStats, Limits, serve_listener
from .paths import prepare_socket_dir
from .registry import AgentHost
from .state import Loaded, StateError, StateStore, StateWriter

if TYPE_CHECKING:
    from .rpc import GrpcOptions
    from .rpc.server import GrpcService

log = logging.getLogger("tiffany.daemon")

#: Services are restarted when they fail, within these limits.
SERVICE_RESTART = Restart(max_restarts=20, within=60.0, backoff=0.05, max_backoff=2.0)


@dataclass(frozen=True)
class DaemonOptions:
    """What the command line decides (the config file decides the rest)."""

    socket_path: Path
    state_dir: Path
    config_path: Path | None = None
    grace: float | None = None  # overrides the config's daemon.grace
    handle_signals: bool = True
    grpc: GrpcOptions | None = None  # also serve gRPC (``rpc/``), beside HTTP


class Daemon:
    """The daemon's parts, wired together; :meth:`main` runs it inside a kernel."""

    def __init__(
        self,
        options: DaemonOptions,
        config: DaemonConfig,
        store: StateStore,
        loaded: Loaded,
        *,
        wall: Any = time.time,
    ) -> None:
        self.options = options
        self.store = store
        self.loaded = loaded
        self.state = loaded.state
        self.state.boots += 1
        self.state.config_digest = config.digest
        self._wall = wall
        self.started_at: float = wall()
        self.events = EventLog(wall=wall)
        self.writer = StateWriter(store, self._snapshot)
        self.host = AgentHost(
            config, self.state, self.events, self.writer, boot=self.state.boots, wall=wall
        )
        self.host.on_shutdown = self._kernel_shutting_down
        self.metrics = Metrics()
        self.slow = SlowStepDetector(config.daemon.slow_step, report=self.host.slow_step)
        self.http_stats = HttpStats()
        settings = config.daemon
        self.limits = Limits(
            max_body=settings.max_body_bytes,
            idle_timeout=settings.idle_timeout,
            request_timeout=settings.request_timeout,
        )
        self.max_connections = settings.max_connections
        self.api = Api(self)
        self.stop_reason: str | None = None
        self.stop_grace: float | None = None
        self.config_error: str | None = None
        self._stop = Event()
        self._listener: net.Listener | None = None
        self._services: list[Task] = []
        self._writer_task: Task | None = None
        self._connections: set[Task] = set()
        self.grpc: GrpcService | None = None  # serving gRPC too, when asked
        self._publish_recovery()

    @classmethod
    def open(cls, options: DaemonOptions) -> Daemon:
        """Load the config and the state (locking its directory); raise if either is unusable."""
        config = load_config(options.config_path)
        store = StateStore(options.state_dir)
        store.lock()
        try:
            loaded = store.load()
        except BaseException:
            store.unlock()
            raise
        return cls(options, config, store, loaded)

    def close(self) -> None:
        """Release the state directory (after the kernel has stopped)."""
        self.store.unlock()

    @property
    def config(self) -> DaemonConfig:
        return self.host.config

    @property
    def instruments(self) -> list[object]:
        return [self.metrics, self.host, self.slow]

    def _snapshot(self) -> bytes:
        return self.state.encode(self._wall())

    def _publish_recovery(self) -> None:
        loaded = self.loaded
        if loaded.moved_aside is not None:
            self.events.publish(
                "state.moved_aside", path=str(loaded.moved_aside), problem=loaded.problem
            )
        if loaded.migrated_from is not None:
            self.events.publish("state.migrated", from_version=loaded.migrated_from)
        for task_id in loaded.interrupted:
            record = self.state.tasks[task_id]
            self.events.publish("interrupted", task=task_id, agent=record.agent, error=record.error)

    # -- running --------------------------------------------------------------------------
    async def start(self, *, listen: bool = True) -> None:
        """Install the instruments and start the services in the running kernel."""
        kernel = current_kernel()
        for instrument in self.instruments:
            kernel.add_instrument(instrument)
        if self.metrics.kernel is None:
            self.metrics.kernel = kernel
        self._writer_task = await spawn(
            self.writer.run, name="state-writer", system=True, restart=SERVICE_RESTART
        )
        self._services.append(self._writer_task)
        # The new boot, the config digest and what recovery changed are on disk before
        # the first request is answered.
        self.writer.write_now()
        if listen:
            path = self.options.socket_path
            prepare_socket_dir(path)
            self._listener = await net.listen_unix(path, mode=0o600)
            self._services.append(
                await spawn(
                    self._serve_api,
                    self._listener,
                    name="api-server",
                    system=True,
                    restart=SERVICE_RESTART,
                )
            )
        if listen and self.options.grpc is not None:
            from .rpc.server import start_grpc  # grpcio is an optional extra

            self.grpc = await start_grpc(self, self.options.grpc)
            assert self.grpc.task is not None
            self._services.append(self.grpc.task)
        if self.options.handle_signals:
            self._services.append(await spawn(self._watch_signals, name="signals", system=True))
        kernel.add_cleanup(self._at_shutdown)
        log.info(
            "tiffany daemon %s (pid %d) serving %s; state in %s; agents: %s",
            __version__,
            os.getpid(),
            self.options.socket_path if listen else "(no socket)",
            self.options.state_dir,
            ", ".join(self.host.agent_names()) or "none",
        )
        self.events.publish(
            "daemon.started", pid=os.getpid(), boot=self.state.boots, config=self.config.digest
        )

    async def main(self) -> ShutdownReport:
        """The daemon's main task: serve until told to stop, then shut down gracefully."""
        try:
            await self.start()
            if not current_kernel().shutting_down:
                await self._stop.wait()
            grace = self.stop_grace if self.stop_grace is not None else self._default_grace()
            reason = self.stop_reason or "kernel shutdown"
            log.info(
                "stopping (%s): %d running task(s) get up to %.1f s to finish",
                reason,
                self.host.running,
                grace,
            )
            self.events.publish("daemon.stopping", reason=reason, grace=grace)
            in_flight = self.host.running_ids()
            report = await shutdown(grace, reason=reason)
            outcomes: dict[str, int] = {}
            for task_id in in_flight:
                record = self.state.tasks.get(task_id)
                state = record.state if record is not None else "pruned"
                outcomes[state] = outcomes.get(state, 0) + 1
            log.info(
                "stopped%s: of %d task(s) in flight, %s",
                " (forced)" if report.forced else "",
                len(in_flight),
                ", ".join(f"{n} {state}" for state, n in sorted(outcomes.items())) or "none left",
            )
            return report
        finally:
            self._close_listener()
            try:
                self.writer.write_now()
            except OSError as error:
                log.error("the last save of the state failed: %s", error)

    async def stop_services(self) -> None:
        """Stop what :meth:`start` started, without shutting the kernel down (tests)."""
        for task in [*self._services, *self._connections]:
            await task.cancel()
        self._services.clear()
        self._writer_task = None
        self._close_listener()
        self.writer.write_now()

    def _default_grace(self) -> float:
        return self.options.grace if self.options.grace is not None else self.config.daemon.grace

    def request_stop(self, reason: str, grace: float | None = None) -> bool:
        """Ask the main task to shut down; False if a stop was already under way."""
        if self.stop_reason is not None:
            return False
        self.stop_reason = reason
        self.stop_grace = grace if grace is not None else self._default_grace()
        self._stop.set()
        return True

    def _kernel_shutting_down(self) -> None:
        """The kernel began a shutdown we did not ask for (a signal before ours was set up)."""
        if self.stop_reason is None:
            self.request_stop("kernel shutdown")

    def _force(self) -> None:
        kernel = current_kernel()
        if kernel.shutting_down:
            kernel.request_shutdown(force=True)
        else:
            self.stop_grace = 0.0

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()  # also removes the socket file
            self._listener = None

    # -- services -------------------------------------------------------------------------
    async def _serve_api(self, listener: net.Listener) -> None:
        """Accept connections, at most ``max_connections`` at a time, each in its own task."""
        await serve_listener(
            listener,
            self.api.handle,
            max_connections=self.max_connections,
            limits=self.limits,
            stats=self.http_stats,
            name="api-connection",
            connections=self._connections,
        )

    async def _watch_signals(self) -> None:
        """SIGTERM or a first SIGINT stops gracefully, a second SIGINT forces, SIGHUP reloads."""
        with open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
            async for signum in signals:
                if signum == signal.SIGHUP:
                    self.reload_config()
                    continue
                name = signal.Signals(signum).name
                if self.request_stop(name):
                    continue
                if signum == signal.SIGINT:
                    log.warning("second SIGINT: cancelling every task now")
                    self._force()
                else:
                    log.info("%s: already stopping (a second SIGINT forces)", name)

    async def _at_shutdown(self) -> None:
        """A kernel cleanup: every task has ended; save the state and end the log streams."""
        writer_task = self._writer_task
        saved = False
        if writer_task is not None and not writer_task.done:
            with move_on_after(5.0):
                saved = await self.writer.flush(self.writer.mark_dirty())
        if not saved:
            try:
                self.writer.write_now()
            except OSError as error:
                log.error("saving the state at shutdown failed: %s", error)
        self.events.close()
        with move_on_after(1.0):
            await self.events.wait_followers_gone()

    # -- configuration ----------------------------------------------------------------------
    def reload_config(self) -> bool:
        """Re-read the config file; on any error keep the running config and say why."""
        path = self.options.config_path
        if path is None:
            log.info("reload: the daemon runs without a config file; nothing to reload")
            return False
        try:
            new = load_config(path)
        except ConfigError as error:
            self.config_error = str(error)
            log.error("config reload failed; keeping the running config: %s", error)
            self.events.publish("config.reload_failed", error=str(error))
            return False
        old = self.host.config
        needs_restart = [
            k for k in RESTART_ONLY if getattr(old.daemon, k) != getattr(new.daemon, k)
        ]
        if needs_restart:
            log.warning(
                "config: changes to daemon.%s take effect at the next restart",
                ", daemon.".join(needs_restart),
            )
        added = sorted(set(new.agents) - set(old.agents))
        removed = sorted(set(old.agents) - set(new.agents))
        self.host.set_config(new)
        self.slow.threshold = new.daemon.slow_step
        self.config_error = None
        log.info(
            "config reloaded (%s): %d agent(s); added %s; removed %s",
            new.digest[:19],
            len(new.agents),
            ", ".join(added) or "none",
            ", ".join(removed) or "none",
        )
        self.events.publish("config.reloaded", digest=new.digest, added=added, removed=removed)
        return True

    # -- reporting --------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        stopping = self.stop_reason is not None or current_kernel().shutting_down
        loaded = self.loaded
        return {
            "status": "stopping" if stopping else "ok",
            "version": __version__,
            "pid": os.getpid(),
            "uptime_seconds": round(self._wall() - self.started_at, 3),
            "socket": str(self.options.socket_path),
            "grpc": self.grpc.describe() if self.grpc is not None else None,
            "state_dir": str(self.options.state_dir),
            "boot": self.state.boots,
            "config": {
                "path": str(self.config.path) if self.config.path else None,
                "digest": self.config.digest,
                "reload_error": self.config_error,
            },
            "agents": self.host.agent_names(),
            "tasks": self.host.counts(),
            "recovery": {
                "interrupted": loaded.interrupted,
                "state_moved_aside": str(loaded.moved_aside) if loaded.moved_aside else None,
                "state_problem": loaded.problem,
                "migrated_from": loaded.migrated_from,
            },
            "state_writer": {
                "writes": self.writer.writes,
                "failures": self.writer.failures,
                "last_error": self.writer.last_error,
                "pending": self.writer.pending,
            },
        }

    def metrics_snapshot(self) -> dict[str, Any]:
        return {
            "uptime_seconds": round(self._wall() - self.started_at, 3),
            "kernel": self.metrics.snapshot(),
            "http": self.http_stats.as_dict(),
            "grpc": self.grpc.stats() if self.grpc is not None else None,
            "tasks": self.host.counts(),
            "tasks_running": self.host.running,
            "slow_steps": self.host.slow_steps,
            "state_writes": self.writer.writes,
            "state_write_failures": self.writer.failures,
            "log_followers": self.events.followers,
            "log_last_seq": self.events.last_seq,
        }

    def prometheus(self) -> str:
        """Kernel metrics plus the daemon's own, in the Prometheus text format."""
        prefix = "tiffany_daemon"
        http = self.http_stats
        lines = [self.metrics.prometheus().rstrip("\n")]

        def metric(name: str, kind: str, text: str, samples: list[tuple[str, Any]]) -> None:
            lines.append(f"# HELP {prefix}_{name} {text}")
            lines.append(f"# TYPE {prefix}_{name} {kind}")
            lines.extend(f"{prefix}_{name}{labels} {value}" for labels, value in samples)

        metric("requests_total", "counter", "API requests answered.", [("", http.requests)])
        metric(
            "responses_total",
            "counter",
            "API responses by status class.",
            [(f'{{class="{k}"}}', v) for k, v in sorted(http.by_status.items())],
        )
        metric(
            "connections_total", "counter", "API connections accepted.", [("", http.connections)]
        )
        metric(
            "connections_open", "gauge", "API connections open now.", [("", http.open_connections)]
        )
        metric(
            "tasks",
            "gauge",
            "Task records by state.",
            [(f'{{state="{k}"}}', v) for k, v in self.host.counts().items()],
        )
        metric(
            "slow_steps_total",
            "counter",
            "Steps over the slow-step threshold.",
            [("", self.host.slow_steps)],
        )
        metric("state_writes_total", "counter", "State file writes.", [("", self.writer.writes)])
        metric(
            "state_write_failures_total",
            "counter",
            "Failed state file writes.",
            [("", self.writer.failures)],
        )
        metric(
            "uptime_seconds",
            "gauge",
            "Seconds since the daemon started.",
            [("", round(self._wall() - self.started_at, 3))],
        )
        return "\n".join(lines) + "\n"


def run_daemon(options: DaemonOptions) -> int:
    """Run the daemon in this process until it is stopped; return the exit status.

    0 after a clean stop, 2 when the config or the state cannot be used (nothing was
    started), 1 when it could not serve (the socket path is taken, say).
    """
    try:
        daemon = Daemon.open(options)
    except (ConfigError, StateError) as error:
        log.error("%s", error)
        return 2
    if options.handle_signals:
        # Ignored until the daemon's receiver takes it, and again once that is gone, so a
        # SIGHUP at start or end of life cannot kill the process with the state unsaved.
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        run(
            daemon.main,
            handle_signals=options.handle_signals,
            shutdown_grace=daemon._default_grace(),
            instruments=daemon.instruments,
        )
    except OSError as error:
        log.error("the daemon cannot run (socket %s): %s", options.socket_path, error)
        return 1
    finally:
        daemon.close()
    return 0


__all__ = ["Daemon", "DaemonOptions", "run_daemon"]
