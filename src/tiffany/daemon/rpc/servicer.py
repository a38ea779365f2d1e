"""The gRPC servicer: each RPC of ``tiffany.v1.Daemon`` as a call into the daemon's kernel.

gRPC runs handlers in its own thread pool; the daemon's state belongs to its kernel.
So a handler only converts: the work (validation included) runs as a task of the kernel,
reached through a portal (``tiffany.portal``), and its answer or domain error comes back
to the handler's thread. The errors the agent host raises map to status codes here, as
``app.py`` maps them to HTTP statuses, with the same messages; the host learns neither
protocol.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import CancelledError
from contextlib import suppress
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import grpc

from ...debug import dump_tasks, format_task_dump
from ...entry import STOPPED
from ...portal import Portal, PortalClosed, TaskHandle
from ..app import MAX_WAIT
from ..config import ConfigError, parse_priority
from ..events import Follower
from ..registry import BadArguments, NotRunning, Refused, UnknownAgent, UnknownTask
from ..state import STATES
from . import ERROR_MARK
from .v1 import daemon_pb2 as pb
from .v1 import daemon_pb2_grpc

if TYPE_CHECKING:
    from ..server import Daemon

T = TypeVar("T")

#: The generated base class, untyped (generated code): named once, here.
_Base: Any = daemon_pb2_grpc.DaemonServicer

#: Domain errors and the status codes they mean, as ``app.py`` maps them to HTTP
#: (404, 404, 400, 409, 503).
STATUS_OF: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (UnknownAgent, grpc.StatusCode.NOT_FOUND),
    (UnknownTask, grpc.StatusCode.NOT_FOUND),
    (BadArguments, grpc.StatusCode.INVALID_ARGUMENT),
    (NotRunning, grpc.StatusCode.FAILED_PRECONDITION),
    (Refused, grpc.StatusCode.UNAVAILABLE),
)

STOPPING = "the daemon is stopping"

#: What a thread that cannot reach the kernel any more sees: the portal closed, the
#: call's task cancelled by the shutdown, or the kernel stopped (RuntimeError).
_GONE = (CancelledError, PortalClosed, RuntimeError)


class BadRequest(ValueError):
    """A field of the request is malformed (INVALID_ARGUMENT)."""


class _Abort(Exception):
    """An error to end the RPC with: its status code and message."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class GrpcStats:
    """Counters of the gRPC servers (updated from their threads), for ``stats``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.active = 0
        self.by_code: dict[str, int] = {}

    def begin(self) -> None:
        with self._lock:
            self.requests += 1
            self.active += 1

    def end(self, code: grpc.StatusCode) -> None:
        with self._lock:
            self.active -= 1
            self.by_code[code.name] = self.by_code.get(code.name, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests_total": self.requests,
                "requests_active": self.active,
                "responses_by_code": dict(sorted(self.by_code.items())),
            }


class DaemonServicer(_Base):  # type: ignore[misc]
    """Answers ``tiffany.v1.Daemon`` for one daemon, through ``portal``."""

    def __init__(self, daemon: Daemon, portal: Portal) -> None:
        self.daemon = daemon
        self.portal = portal
        self.stats = GrpcStats()

    # -- unary RPCs -----------------------------------------------------------------------
    def Health(self, request: pb.HealthRequest, context: grpc.ServicerContext) -> pb.Document:
        return self._unary_sync(context, _json_of, self.daemon.health)

    def Agents(self, request: pb.AgentsRequest, context: grpc.ServicerContext) -> pb.Document:
        return self._unary_sync(context, self._agents)

    def Ps(self, request: pb.PsRequest, context: grpc.ServicerContext) -> pb.Document:
        return self._unary_sync(context, self._ps, request)

    def Show(self, request: pb.ShowRequest, context: grpc.ServicerContext) -> pb.Document:
        # A client that gives up on a long ``wait`` ends the wait in the kernel too.
        return self._unary(context, self._show, request, cancel_on_leave=True)

    def Spawn(self, request: pb.SpawnRequest, context: grpc.ServicerContext) -> pb.Document:
        return self._unary(context, self._spawn, request)

    def Cancel(self, request: pb.CancelRequest, context: grpc.ServicerContext) -> pb.Document:
        return self._unary(context, self._cancel, request)

    def Stats(self, request: pb.StatsRequest, context: grpc.ServicerContext) -> pb.Document:
        if request.prometheus:
            return self._unary_sync(context, _text_of, self.daemon.prometheus)
        return self._unary_sync(context, _json_of, self.daemon.metrics_snapshot)

    def Dump(self, request: pb.DumpRequest, context: grpc.ServicerContext) -> pb.Document:
        return self._unary_sync(context, self._dump, request)

    def Shutdown(self, request: pb.ShutdownRequest, context: grpc.ServicerContext) -> pb.Document:
        return self._unary_sync(context, self._shutdown, request)

    # -- the stream -----------------------------------------------------------------------
    def Logs(self, request: pb.LogsRequest, context: grpc.ServicerContext) -> Iterator[pb.LogEvent]:
        self.stats.begin()
        code = grpc.StatusCode.OK
        try:
            yield from self._logs(request, context)
        except _Abort as error:
            code = error.code
            _abort(context, error.code, error.message)
        except GeneratorExit:
            code = grpc.StatusCode.CANCELLED
            raise
        except BaseException:
            code = grpc.StatusCode.UNKNOWN
            raise
        finally:
            self.stats.end(code)

    def _logs(
        self, request: pb.LogsRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.LogEvent]:
        if request.since < 0:
            raise _Abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"since must be 0 or more, got {request.since}"
            )
        limit = request.limit if request.HasField("limit") else None
        if limit is not None and limit < 1:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"limit must be 1 or more, got {limit}")
        if not request.follow:
            records = self._call_sync(context, self.daemon.events.recent, request.since, limit)
            yield from (_event(record) for record in records)
            return
        follower = self._call_sync(context, self._follow, request.since, limit)
        yield from self._stream(follower, context)

    def _stream(self, follower: Follower, context: grpc.ServicerContext) -> Iterator[pb.LogEvent]:
        """Batches until the log closes (the daemon stops) or the client leaves; the
        follower is detached either way (a client that leaves cancels the wait it left)."""
        waiting: list[TaskHandle[Any]] = []
        gone = threading.Event()

        def client_left() -> None:  # on a gRPC thread when the RPC ends, however it ends
            gone.set()
            for handle in list(waiting):
                handle.cancel()

        context.add_callback(client_left)
        try:
            while not gone.is_set():
                try:
                    handle = self.portal.spawn(follower.next_batch)
                except _GONE:
                    return
                waiting[:] = [handle]
                if gone.is_set():
                    handle.cancel()  # the client left between the check and the spawn
                try:
                    batch = handle.result()
                except _GONE:
                    return
                if batch is None:
                    return  # the log closed: the daemon is stopping; end the stream OK
                for record in batch:
                    yield _event(record)
        finally:
            with suppress(*_GONE):  # the kernel has gone, and the follower with it
                self.portal.call_sync(follower.detach)

    # -- the work, run in the kernel ------------------------------------------------------
    def _agents(self) -> pb.Document:
        specs = self.daemon.host.config.agents
        return _json_document({"agents": [specs[name].describe() for name in sorted(specs)]})

    def _ps(self, request: pb.PsRequest) -> pb.Document:
        state = request.state if request.HasField("state") and request.state else None
        if state is not None and state not in STATES:
            raise BadRequest(f"state must be one of {', '.join(STATES)}, got {state!r}")
        limit = request.limit if request.HasField("limit") else None
        if limit is not None and limit < 1:
            raise BadRequest(f"limit must be 1 or more, got {limit}")
        agent = request.agent if request.HasField("agent") and request.agent else None
        host = self.daemon.host
        records = host.records(state=state, agent=agent, limit=limit)
        return _json_document({"tasks": [host.describe(r) for r in records]})

    async def _show(self, request: pb.ShowRequest) -> pb.Document:
        wait = _wait(request.wait if request.HasField("wait") else 0.0)
        record = await self.daemon.host.wait(request.id, wait)
        return _json_document(self.daemon.host.describe(record))

    async def _spawn(self, request: pb.SpawnRequest) -> pb.Document:
        if not request.agent:
            raise BadRequest("agent must name a configured agent")
        args = _arguments(request.args_json)
        priority = None
        if request.HasField("priority"):
            try:
                priority = parse_priority(request.priority, "priority")
            except ConfigError as error:
                raise BadRequest(str(error)) from None
        host = self.daemon.host
        record, durable = await host.spawn(request.agent, args, priority)
        return _json_document({**host.describe(record), "durable": durable})

    async def _cancel(self, request: pb.CancelRequest) -> pb.Document:
        wait = _wait(request.wait if request.HasField("wait") else 5.0)
        record = await self.daemon.host.cancel(request.id, wait)
        return _json_document(self.daemon.host.describe(record))

    def _dump(self, request: pb.DumpRequest) -> pb.Document:
        infos = dump_tasks()
        if request.text:
            return pb.Document(text=format_task_dump(infos) + "\n")
        records = self.daemon.host.records_by_kernel_id()
        tasks = [{**info.as_dict(), "record": records.get(info.id)} for info in infos]
        return _json_document({"pid": os.getpid(), "tasks": tasks})

    def _shutdown(self, request: pb.ShutdownRequest) -> pb.Document:
        grace = request.grace if request.HasField("grace") else None
        if grace is not None and (not math.isfinite(grace) or grace < 0):
            raise BadRequest(f"grace must be a number of seconds >= 0, got {grace!r}")
        daemon = self.daemon
        already = not daemon.request_stop("grpc", grace)
        return _json_document(
            {
                "stopping": True,
                "already_stopping": already,
                "grace": daemon.stop_grace,
                "running": daemon.host.running,
            }
        )

    def _follow(self, since: int, limit: int | None) -> Follower:
        events = self.daemon.events
        backlog = events.recent(since, limit)
        start = backlog[0]["seq"] - 1 if backlog else events.last_seq
        return events.follow(since=start)  # made now, so nothing slips in before the head

    # -- calling the kernel; errors -----------------------------------------------------------
    def _unary(
        self,
        context: grpc.ServicerContext,
        fn: Callable[..., Coroutine[Any, Any, T]],
        *args: Any,
        cancel_on_leave: bool = False,
    ) -> T:
        """An RPC whose work awaits (a task of the kernel)."""
        return self._counted(
            context, lambda: self._call(context, fn, *args, cancel_on_leave=cancel_on_leave)
        )

    def _unary_sync(self, context: grpc.ServicerContext, fn: Callable[..., T], *args: Any) -> T:
        """An RPC whose work never waits: it runs on the kernel's thread between two steps,
        no task made for it (about twice as fast as a task)."""
        return self._counted(context, lambda: self._call_sync(context, fn, *args))

    def _counted(self, context: grpc.ServicerContext, call: Callable[[], T]) -> T:
        self.stats.begin()
        code = grpc.StatusCode.OK
        try:
            return call()
        except _Abort as error:
            code = error.code
            _abort(context, error.code, error.message)
        except BaseException:
            code = grpc.StatusCode.UNKNOWN
            raise
        finally:
            self.stats.end(code)

    def _call_sync(self, context: grpc.ServicerContext, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the kernel's thread; its domain error becomes an :class:`_Abort`."""
        return self._mapped(context, lambda: self.portal.call_sync(fn, *args))

    def _call(
        self,
        context: grpc.ServicerContext,
        fn: Callable[..., Coroutine[Any, Any, T]],
        *args: Any,
        cancel_on_leave: bool = False,
    ) -> T:
        """``await fn(*args)`` in the kernel; its domain error becomes an :class:`_Abort`."""

        def call() -> T:
            handle = self.portal.spawn(fn, *args)
            if cancel_on_leave:
                # Runs when the RPC ends, however it ends (a no-op once the task is done).
                context.add_callback(lambda: _ignore(handle.cancel()))
            return handle.result()

        return self._mapped(context, call)

    def _mapped(self, context: grpc.ServicerContext, call: Callable[[], T]) -> T:
        try:
            return call()
        except BadRequest as error:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, str(error)) from None
        except (UnknownAgent, UnknownTask) as error:
            raise _Abort(grpc.StatusCode.NOT_FOUND, str(error.args[0])) from None
        except (BadArguments, NotRunning, Refused) as error:
            code = next(code for kind, code in STATUS_OF if isinstance(error, kind))
            raise _Abort(code, str(error)) from None
        except (CancelledError, PortalClosed):
            raise self._gone(context) from None
        except RuntimeError as error:
            if str(error) != STOPPED:
                raise
            raise self._gone(context) from None

    @staticmethod
    def _gone(context: grpc.ServicerContext) -> _Abort:
        """The call's task was cancelled: the client left, or the daemon is stopping."""
        if not context.is_active():
            return _Abort(grpc.StatusCode.CANCELLED, "the client left")
        return _Abort(grpc.StatusCode.UNAVAILABLE, STOPPING)


def _abort(context: grpc.ServicerContext, code: grpc.StatusCode, message: str) -> NoReturn:
    context.set_trailing_metadata(((ERROR_MARK, code.name),))
    context.abort(code, message)
    raise AssertionError("context.abort returned")  # it raises; this tells the type checker


def _ignore(value: object) -> None:
    pass


def _json_of(fn: Callable[[], Any]) -> pb.Document:
    return _json_document(fn())


def _text_of(fn: Callable[[], str]) -> pb.Document:
    return pb.Document(text=fn())


def _json_document(payload: Any) -> pb.Document:
    return pb.Document(json=json.dumps(payload, default=str))


def _event(record: dict[str, Any]) -> pb.LogEvent:
    return pb.LogEvent(json=json.dumps(record, default=str))


def _wait(seconds: float) -> float:
    if not 0 <= seconds <= MAX_WAIT:  # NaN fails both comparisons, so it is refused too
        raise BadRequest(f"wait must be between 0 and {MAX_WAIT:g} seconds, got {seconds:g}")
    return seconds


def _arguments(text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        args = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadRequest(f"args_json is not valid JSON: {error}") from None
    if not isinstance(args, dict):
        raise BadRequest("args_json must be a JSON object of arguments")
    return args
