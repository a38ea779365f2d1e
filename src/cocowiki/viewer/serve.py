"""``cw serve``: the built wiki over HTTP on the loopback interface.

``index.html`` works from ``file://`` as it is; serving it is for a browser on another
user's desktop session, a remote shell with port forwarding, or habit. The server runs on
tiffany's own kernel with the daemon's HTTP layer (h11 over :mod:`tiffany.net`), answers
GET and HEAD for files inside the output directory and nothing else:

* it listens on a loopback address only, and answers only requests whose ``Host`` is a
  loopback name (a web page elsewhere cannot reach it through DNS rebinding);
* every path is resolved, symlinks included, and must stay inside the output directory;
  one that leaves it is a 404, like a missing file.

Ctrl-C (SIGINT) or SIGTERM stops it with exit status 0.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import mimetypes
import sys
import threading
import webbrowser
from pathlib import Path
from typing import TextIO

from tiffany import net
from tiffany.api import run
from tiffany.daemon.http import HttpError, Request, Response, serve_connection

from ..console import EXIT_OK, report_error
from ..paths import output_dir
from .document import INDEX_NAME, write_viewer
from .manifest import MANIFEST_NAME, ViewerError

EXIT_UNAVAILABLE = 1  # the port is taken, or the address cannot be bound

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class StaticSite:
    """Answers GET and HEAD with the files under ``root`` (resolved once, at start)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    async def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise HttpError(405, "only GET and HEAD are served", headers=[("allow", "GET, HEAD")])
        host = (request.header("host") or "").rsplit(":", 1)[0].strip("[]")
        if not is_loopback(host):
            raise HttpError(403, f"this server answers only to loopback names, not {host!r}")
        path = self.resolve(request.path)
        if path is None:
            raise HttpError(404, f"{request.path} is not part of the wiki")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type == "application/json":
            content_type += "; charset=utf-8"
        try:
            body = path.read_bytes()
        except OSError:
            raise HttpError(404, f"{request.path} cannot be read") from None
        return Response(200, body, content_type, [("cache-control", "no-cache")])

    def resolve(self, url_path: str) -> Path | None:
        """The file a URL path names, or None when it is missing or outside the root."""
        relative = url_path.lstrip("/")
        if "\0" in relative:
            return None
        candidate = (self.root / (relative or INDEX_NAME)).resolve()
        if candidate.is_dir():
            candidate = candidate / INDEX_NAME
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) means this machine's loopback interface."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_serve_command(
    repo: Path | None = None,
    output: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    open_browser: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Serve the wiki in ``output`` (default ``REPO/.cocowiki``) until Ctrl-C; exit status."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    repo_path = repo if repo is not None else Path.cwd()
    root = output_dir(repo_path, output)
    if not is_loopback(host):
        message = f"{host!r} is not a loopback address; cw serve listens on 127.0.0.1 or ::1 only"
        return report_error("serve", message, False, out, err)
    try:
        _ensure_viewer(root, repo_path)
    except ViewerError as error:
        return report_error("serve", str(error), False, out, err)
    site = StaticSite(root)
    listen_error: list[OSError] = []

    async def main() -> None:
        try:
            listener = await net.listen_tcp(host, port)
        except OSError as error:
            listen_error.append(error)
            return
        async with listener:
            address = f"[{host}]" if ":" in host else host
            url = f"http://{address}:{listener.port}/"
            out.write(f"serving the wiki in {root} at {url} (Ctrl-C to stop)\n")
            out.flush()
            if open_browser:  # in a thread: a text-mode browser would block until it quits
                threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
            await listener.serve(lambda stream: serve_connection(stream, site.handle))

    with contextlib.suppress(KeyboardInterrupt):  # a Ctrl-C before the kernel took SIGINT
        run(main, handle_signals=True, shutdown_grace=1.0)
    if listen_error:
        return _report_listen_error(listen_error[0], host, port, err)
    out.write("stopped\n")
    return EXIT_OK


def _report_listen_error(error: OSError, host: str, port: int, err: TextIO) -> int:
    """One line saying why the server could not listen; the exit status for it."""
    if error.errno == errno.EADDRINUSE:
        reason = (
            f"port {port} on {host} is already in use; "
            "choose another with --port (0 picks a free one)"
        )
    else:
        reason = f"cannot listen on {host}:{port}: {error.strerror or error}"
    err.write(f"cw serve: error: {reason}\n")
    return EXIT_UNAVAILABLE


def _ensure_viewer(root: Path, repo: Path) -> None:
    """Make sure there is an ``index.html`` to serve (writing it from a built wiki if not)."""
    if (root / INDEX_NAME).is_file():
        return
    if not (root / MANIFEST_NAME).is_file():
        raise ViewerError(f"no wiki has been built in {root}; run `cw build` first")
    write_viewer(root, repo)
