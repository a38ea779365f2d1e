"""Who may talk to the chat UI: the token, the Host and Origin checks, the page's headers.

The server listens on loopback and prints one URL with a random token. The first load of
``/?token=...`` sets the token as a cookie (``HttpOnly``, ``SameSite=Strict``) and
redirects to ``/``, so the token leaves the address bar; every later request carries the
cookie (or the token in ``?token=`` or an ``X-Tokimon-Token`` header, for scripts).
Without it: 403.

The token alone does not stop DNS rebinding (a foreign page whose name now points at
127.0.0.1 cannot read the cookie, but it can try) nor cross-site requests, so the
``Host`` header must name this server (a loopback name or the bound host, with its port)
and an ``Origin``, when the browser sends one, must be this server's own. Refused: 403.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from http.cookies import SimpleCookie

from tiffany.daemon.http import Request

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
TOKEN_HEADER = "x-tokimon-token"

#: Headers on every page and asset: no framing, no sniffing, no referrer (the token).
PAGE_HEADERS: tuple[tuple[str, str], ...] = (
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class Guard:
    """The checks for one server: its token, bound host and port."""

    token: str
    host: str
    port: int

    @property
    def cookie_name(self) -> str:
        return f"tokimon-chat-{self.port}"  # cookies ignore ports; two servers, two names

    @property
    def hosts(self) -> frozenset[str]:
        names = {self.host, *LOOPBACK_NAMES} if is_loopback(self.host) else {self.host}
        return frozenset(_netloc(name, self.port) for name in names)

    def refusal(self, request: Request) -> str | None:
        """Why ``request`` is refused (a 403), None when it may go on."""
        host = (request.header("host") or "").lower()
        if host not in self.hosts:
            return f"the Host header {host!r} does not name this server"
        origin = request.header("origin")
        if origin is not None and origin.lower() not in {f"http://{h}" for h in self.hosts}:
            return f"requests from {origin!r} are not allowed"
        if request.header("sec-fetch-site") == "cross-site":
            return "cross-site requests are not allowed"
        if not self.has_token(request):
            return "this needs the token printed by `tokimon chat-ui` (open its URL)"
        return None

    def has_token(self, request: Request) -> bool:
        offered = [request.query.get("token"), request.header(TOKEN_HEADER), self._cookie(request)]
        return any(
            value is not None and hmac.compare_digest(value.encode(), self.token.encode())
            for value in offered
        )

    def _cookie(self, request: Request) -> str | None:
        raw = request.header("cookie")
        if not raw:
            return None
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:  # a malformed cookie header is no token
            return None
        morsel = jar.get(self.cookie_name)
        return morsel.value if morsel is not None else None

    def set_cookie(self) -> tuple[str, str]:
        return (
            "set-cookie",
            f"{self.cookie_name}={self.token}; Path=/; HttpOnly; SameSite=Strict",
        )
