"""``cw mcp --http``: the server over streamable HTTP, on loopback, behind a bearer token.

The app is the SDK's (:meth:`MCPServer.streamable_http_app`, which also refuses Host
headers other than loopback's, against DNS rebinding); :class:`TokenGuard` in front of
it answers 401 to any request without ``Authorization: Bearer <token>``, so another
user's process on the same machine cannot read the wiki through the port. The socket is
bound to 127.0.0.1 before uvicorn starts, so port 0 works and the URL printed is the
one that answers.
"""

from __future__ import annotations

import hmac
import json
import secrets
import socket
from collections.abc import Callable
from typing import Any

import anyio
import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK = "127.0.0.1"
PATH = "/mcp"
TOKEN_ENV = "COCOWIKI_MCP_TOKEN"


def new_token() -> str:
    return secrets.token_urlsafe(32)


class TokenGuard:
    """ASGI middleware: HTTP requests must carry ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("the token is empty")
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            body = json.dumps({"error": "missing or wrong bearer token"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b'Bearer realm="cocowiki"'),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        given = b""
        for name, value in scope.get("headers", []):
            if name.lower() == b"authorization":
                given = bytes(value)
        return hmac.compare_digest(given, self._expected)


def guarded_app(server: MCPServer[Any], token: str) -> ASGIApp:
    """The server's streamable-HTTP app at ``/mcp``, behind the token."""
    return TokenGuard(server.streamable_http_app(streamable_http_path=PATH, host=LOOPBACK), token)


def serve_http(server: MCPServer[Any], token: str, port: int, ready: Callable[[str], None]) -> None:
    """Serve until interrupted; ``ready`` gets the URL once the port is bound."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((LOOPBACK, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    config = uvicorn.Config(
        guarded_app(server, token), log_level="warning", lifespan="on", access_log=False
    )
    ready(f"http://{LOOPBACK}:{sock.getsockname()[1]}{PATH}")
    try:
        anyio.run(uvicorn.Server(config).serve, [sock])
    finally:
        sock.close()
