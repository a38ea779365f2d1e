"""A small synchronous client of the daemon's API, for the CLI, scripts and tests.

It is plain ``http.client`` over an ``AF_UNIX`` socket, on purpose a different HTTP
implementation from the server's h11, so the two keep each other honest. Failures come
in two kinds the CLI maps to exit codes: :class:`DaemonUnreachable` (no daemon at that
socket: exit 3, with how to start one) and :class:`RequestFailed` (the daemon answered
with an error: exit 1).
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from .paths import resolve_socket_path

DEFAULT_TIMEOUT = 30.0


class DaemonUnreachable(ConnectionError):
    """Nothing answers at the socket path; the message says why and how to start a daemon."""

    def __init__(self, socket_path: Path, reason: str) -> None:
        self.socket_path = socket_path
        self.reason = reason
        super().__init__(
            f"cannot reach the tiffany daemon at {socket_path}: {reason}.\n"
            f"Start one with:  tiffany daemon --socket {socket_path} --state DIR "
            "[--config FILE]\n"
            "(or point --socket / $TIFFANY_SOCKET at the one you have)"
        )


class RequestFailed(RuntimeError):
    """The daemon answered with an error status; ``message`` is its ``{"error": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"{status}: {message}")


class _UnixConnection(http.client.HTTPConnection):
    """``HTTPConnection`` whose transport is a Unix stream socket."""

    def __init__(self, socket_path: Path, timeout: float | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.socket_path))
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class WaitingClient:
    """``wait_until_ready`` and ``wait_until_gone`` over a client's ``health`` and ``close``.

    Shared by :class:`DaemonClient` and the gRPC client, which poll the same way and
    differ only in how one ``health`` call travels. ``_reconnect_each_poll``: close the
    connection before each poll of ``wait_until_gone``, so a kept-alive connection does
    not hide a daemon that has stopped listening.
    """

    _reconnect_each_poll = False

    def health(self) -> dict[str, Any]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def wait_until_ready(self, timeout: float = 10.0, interval: float = 0.02) -> dict[str, Any]:
        """Poll ``health`` until the daemon answers; raise the last failure after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.health()
            except (DaemonUnreachable, RequestFailed):
                self.close()
                if time.monotonic() >= deadline:
                    raise
            time.sleep(interval)

    def wait_until_gone(self, timeout: float = 30.0, interval: float = 0.05) -> bool:
        """Poll until nothing answers; False if it still does after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._reconnect_each_poll:
                self.close()
            try:
                self.health()
            except DaemonUnreachable:
                return True
            except RequestFailed:
                pass
            time.sleep(interval)
        return False


class DaemonClient(WaitingClient):
    """Talks to one daemon over one keep-alive connection (reopened when needed)."""

    _reconnect_each_poll = True

    def __init__(
        self, socket_path: str | Path | None = None, timeout: float | None = DEFAULT_TIMEOUT
    ) -> None:
        self.socket_path = resolve_socket_path(socket_path)
        self.timeout = timeout
        self._conn: _UnixConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> DaemonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------------
    def _unreachable(self, error: OSError) -> DaemonUnreachable:
        if isinstance(error, FileNotFoundError):
            reason = "no socket there (is the daemon running?)"
        elif isinstance(error, ConnectionRefusedError):
            reason = "nothing is listening (the daemon has stopped; the socket file is stale)"
        elif isinstance(error, PermissionError):
            reason = "permission denied (the socket belongs to another user)"
        else:
            reason = str(error)
        return DaemonUnreachable(self.socket_path, reason)

    def _open(self, timeout: float | None) -> _UnixConnection:
        if self._conn is None:
            conn = _UnixConnection(self.socket_path, timeout)
            try:
                conn.connect()
            except OSError as error:
                raise self._unreachable(error) from None
            self._conn = conn
        elif self._conn.sock is not None:
            self._conn.sock.settimeout(timeout)
        return self._conn

    def _send(
        self,
        method: str,
        target: str,
        body: bytes | None,
        headers: Mapping[str, str],
        timeout: float | None,
    ) -> http.client.HTTPResponse:
        for attempt in (1, 2):
            conn = self._open(timeout)
            try:
                conn.request(method, target, body=body, headers=dict(headers))
                return conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The daemon closed a kept-alive connection (idle timeout, restart):
                # a read is safe to send again on a fresh one; a write is not.
                self.close()
                if attempt == 2 or method != "GET":
                    raise
            except OSError:
                self.close()
                raise
        raise AssertionError("unreachable")

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request; return status, headers and the whole body."""
        all_headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["content-type"] = "application/json"
        target = _target(path, query)
        try:
            response = self._send(method, target, body, all_headers, timeout or self.timeout)
            data = response.read()
        except DaemonUnreachable:
            raise
        except (http.client.RemoteDisconnected, ConnectionResetError) as error:
            raise RequestFailed(0, f"the daemon closed the connection ({error})") from None
        except TimeoutError:
            raise RequestFailed(0, "the daemon did not answer in time") from None
        if response.will_close:
            self.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        query: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """A JSON request; the decoded answer, or ``RequestFailed`` for a 4xx/5xx."""
        status, _, data = self.request(
            method, path, json_body=json_body, query=query, timeout=timeout
        )
        try:
            payload = json.loads(data) if data else None
        except json.JSONDecodeError:
            payload = None
        if status >= 400:
            message = payload.get("error") if isinstance(payload, dict) else None
            raise RequestFailed(status, str(message or data[:200].decode(errors="replace")))
        return payload

    # -- the API --------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", "/health")
        return result

    def agents(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("GET", "/agents")["agents"]
        return result

    def tasks(
        self, state: str | None = None, agent: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        query = {"state": state, "agent": agent, "limit": limit}
        result: list[dict[str, Any]] = self.call("GET", "/tasks", query=query)["tasks"]
        return result

    def task(self, task_id: int, wait: float | None = None) -> dict[str, Any]:
        timeout = None if wait is None else wait + (self.timeout or DEFAULT_TIMEOUT)
        result: dict[str, Any] = self.call(
            "GET", f"/tasks/{task_id}", query={"wait": wait}, timeout=timeout
        )
        return result

    def spawn(
        self,
        agent: str,
        args: Mapping[str, Any] | None = None,
        priority: str | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Start a task; ``key`` places it on a cluster's hash ring (a daemon ignores it)."""
        result: dict[str, Any] = self.call(
            "POST",
            f"/agents/{quote(agent, safe='')}/spawn",
            json_body=dict(args or {}),
            query={"priority": priority, "key": key},
        )
        return result

    def cancel(self, task_id: int, wait: float | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", f"/tasks/{task_id}/cancel", query={"wait": wait})
        return result

    def metrics(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", "/metrics")
        return result

    def metrics_text(self) -> str:
        status, _, data = self.request("GET", "/metrics", headers={"accept": "text/plain"})
        if status >= 400:
            raise RequestFailed(status, data.decode(errors="replace"))
        return data.decode()

    def dump(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", "/dump")
        return result

    def dump_text(self) -> str:
        status, _, data = self.request("GET", "/dump", query={"format": "text"})
        if status >= 400:
            raise RequestFailed(status, data.decode(errors="replace"))
        return data.decode()

    def shutdown(self, grace: float | None = None) -> dict[str, Any]:
        body = {"grace": grace} if grace is not None else None
        result: dict[str, Any] = self.call("POST", "/shutdown", json_body=body)
        return result

    def logs(
        self, *, since: int = 0, limit: int | None = None, follow: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Task events, oldest first; with ``follow``, keeps yielding as they happen
        until the daemon stops (a separate connection, without a timeout)."""
        query = {"since": since or None, "limit": limit, "follow": "1" if follow else None}
        conn = _UnixConnection(self.socket_path, None if follow else self.timeout)
        try:
            try:
                conn.connect()
            except OSError as error:
                raise self._unreachable(error) from None
            conn.request("GET", _target("/logs", query))
            response = conn.getresponse()
            if response.status >= 400:
                raise RequestFailed(response.status, response.read().decode(errors="replace"))
            while True:
                try:
                    line = response.readline()
                except http.client.IncompleteRead:
                    return  # the daemon went away mid-stream
                if not line:
                    return
                if line.strip():
                    yield json.loads(line)
        finally:
            conn.close()


def _target(path: str, query: Mapping[str, Any] | None) -> str:
    if not query:
        return path
    pairs = {k: v for k, v in query.items() if v is not None}
    return f"{path}?{urlencode(pairs)}" if pairs else path
