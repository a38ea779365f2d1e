"""The ``cw mcp`` command as a plain function: open the wiki, make the server, serve.

Over stdio (the default) stdout belongs to the protocol, so everything for a person goes
to stderr. A wiki that is not built yet is not an error here: the server starts, says so
on stderr, and each tool call answers with how to build it (a client configured before
the first build works once it is done, without a restart).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from tiffany.models import ModelClient, ModelError, client

from ..console import EXIT_OK, EXIT_USAGE
from ..query import Wiki, WikiError

DEFAULT_PORT = 8765


def run_mcp_command(
    repo: Path | None,
    output: Path | None,
    *,
    http: bool = False,
    port: int = DEFAULT_PORT,
    refresh: bool = False,
    model: str | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Serve the wiki of ``repo`` until the client leaves (stdio) or Ctrl-C (HTTP)."""
    err = stderr or sys.stderr

    def fail(message: str) -> int:
        err.write(f"cw mcp: error: {message}\n")
        return EXIT_USAGE

    if not 0 <= port <= 65535:
        return fail(f"--port must be between 0 and 65535, not {port}")
    try:
        wiki = Wiki.open(repo, output)
    except WikiError as exc:
        return fail(str(exc))
    llm: ModelClient | None = None
    if model:
        try:
            llm = client(model)
        except ModelError as exc:
            return fail(f"model {model}: {exc}")
    if not wiki.catalog.is_file() and not refresh:
        err.write(f"cw mcp: no wiki in {wiki.output} yet; {wiki.build_hint()}\n")
    from .server import make_server  # the SDK is imported only by this command

    server = make_server(wiki, refresh=refresh, llm=llm)
    if not http:
        server.run("stdio")
        return EXIT_OK
    from .http import TOKEN_ENV, new_token, serve_http

    token = os.environ.get(TOKEN_ENV) or new_token()

    def ready(url: str) -> None:
        err.write(f"cw mcp: serving {wiki.repo} at {url}\n")
        if TOKEN_ENV not in os.environ:
            err.write(f"cw mcp: token (send as 'Authorization: Bearer <token>'): {token}\n")
        err.flush()

    try:
        serve_http(server, token, port, ready)
    except OSError as exc:
        return fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        pass
    return EXIT_OK
