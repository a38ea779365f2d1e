"""``cw mcp``: the wiki served over the Model Context Protocol, on the official ``mcp`` SDK.

:mod:`.server` makes the server (six tools over :mod:`cocowiki.query`, pages as
resources), :mod:`.refresh` keeps the index current for ``--refresh``, :mod:`.http` puts
it on loopback behind a token, :mod:`.command` is what the CLI calls. Only the command
and what it serves import the SDK; see ``docs/cocowiki/mcp.md``.
"""

from __future__ import annotations

from .command import DEFAULT_PORT, run_mcp_command

__all__ = ["DEFAULT_PORT", "run_mcp_command"]
