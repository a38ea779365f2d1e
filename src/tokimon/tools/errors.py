"""The errors a tool raises for the model to read, not for the run to die of.

A tool that cannot do what it was asked raises :class:`ToolError` with a message written
for the model: what was wrong and what to do instead. The toolset turns it into a tool
result with ``is_error=True``, so the model gets a turn to correct itself.
"""

from __future__ import annotations

from tokimon.errors import TokimonError


class ToolError(TokimonError):
    """A tool call that cannot be carried out; the message goes back to the model."""


class PathRefused(ToolError):
    """A path that would leave the work tree, or that the tools may not write."""


class ToolConfigError(TokimonError):
    """The ``[tools]`` settings are invalid; the message lists every problem."""
