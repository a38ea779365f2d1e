"""``web_fetch``: a page from an allowed host, off unless the configuration turns it on.

An agent that can fetch any URL can leak the repository to any server and read
instructions from any page, so the tool is off by default and, when on, limited to the
hosts in ``[tools.web] allowed_hosts``. The check is made on the URL asked for and again
on every redirect, so an allowed host cannot bounce the request elsewhere. Only
``http`` and ``https`` are fetched, only text comes back, and downloads are capped.

The standard library's :mod:`urllib` does the fetching, in a worker thread: one GET
with a redirect check needs nothing more, and it adds no dependency.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from http.client import HTTPMessage
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field

import tiffany

from .base import ToolContext, define_tool
from .config import WebConfig
from .errors import ToolError
from .output import ToolOutput

_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/javascript",
        "application/x-yaml",
        "application/yaml",
        "application/toml",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _entry_matches(entry: str, host: str, port: int) -> bool:
    name, colon, entry_port = entry.strip().lower().rpartition(":")
    if not colon or not entry_port.isdigit():
        name, entry_port = entry.strip().lower(), ""
    if entry_port and int(entry_port) != port:
        return False
    if name.startswith("*."):
        return host.endswith(name[1:])
    return host == name


def check_url(url: str, web: WebConfig) -> str:
    """``url`` if ``web_fetch`` may fetch it; otherwise a :class:`ToolError` saying why."""
    if not web.enabled:
        raise ToolError(
            "web_fetch is turned off for this repository; a person can turn it on with "
            "[tools.web] enabled = true and allowed_hosts = [...] in the configuration"
        )
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ToolError(f"{url!r} is not a valid URL ({exc})") from None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ToolError(f"{url!r} is not an http:// or https:// URL with a host")
    host = parts.hostname.lower()
    effective_port = port or _DEFAULT_PORTS[parts.scheme]
    if not any(_entry_matches(entry, host, effective_port) for entry in web.allowed_hosts):
        allowed = ", ".join(web.allowed_hosts) or "none"
        raise ToolError(
            f"web_fetch may not fetch from {host!r}: it is not an allowed host (allowed: {allowed})"
        )
    return url


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to a URL the allowlist accepts."""

    def __init__(self, web: WebConfig) -> None:
        self.web = web

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        try:
            check_url(newurl, self.web)
        except ToolError as exc:
            raise ToolError(
                f"{req.full_url} redirects to {newurl}, which is refused: {exc}"
            ) from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _is_text(content_type: str) -> bool:
    return (
        content_type.startswith("text/")
        or content_type in _TEXT_TYPES
        or content_type.endswith(("+json", "+xml"))
    )


def _describe(status: int, url: str, headers: Message, body: bytes, limit: int) -> str:
    content_type = headers.get_content_type()
    head = f"HTTP {status} {content_type}, {len(body):,} bytes from {url}"
    if not _is_text(content_type):
        return f"{head}\n(not text; web_fetch returns text only)\n"
    text = body[:limit].decode(headers.get_content_charset() or "utf-8", "replace")
    cut = f"\n[truncated: the download stopped at {limit:,} bytes]" if len(body) > limit else ""
    return f"{head}\n\n{text}{cut}\n"


def _fetch(url: str, web: WebConfig, timeout: float) -> ToolOutput:
    opener = urllib.request.build_opener(_CheckedRedirects(web))
    request = urllib.request.Request(url, headers={"User-Agent": web.user_agent})
    limit = web.max_download_bytes
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(limit + 1)
            text = _describe(response.status, response.geturl(), response.headers, body, limit)
            data: dict[str, Any] = {"url": response.geturl(), "status": response.status}
            return ToolOutput(text, data=data)
    except urllib.error.HTTPError as exc:
        body = exc.read(limit + 1)
        text = _describe(exc.code, exc.geturl(), exc.headers, body, limit)
        return ToolOutput.error(text, url=exc.geturl(), status=exc.code)
    except urllib.error.URLError as exc:
        raise ToolError(f"could not fetch {url}: {exc.reason}") from None
    except TimeoutError:
        raise ToolError(f"could not fetch {url}: no answer within {timeout:.3g} s") from None


class WebFetchArgs(BaseModel):
    """Fetch a URL over HTTP(S) from one of the allowed hosts and return its text."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="an http:// or https:// URL")


async def web_fetch(args: WebFetchArgs, context: ToolContext) -> ToolOutput:
    web = context.config.web
    url = check_url(args.url.strip(), web)
    return await tiffany.to_thread(_fetch, url, web, context.remaining(), cancellable=True)


WEB_FETCH = define_tool(WebFetchArgs, web_fetch, name="web_fetch", timeout=30.0)
