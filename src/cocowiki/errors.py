"""The root of cocowiki's errors: every problem a user can fix is a :class:`CocowikiError`.

Each stage keeps its own error beside its code (``ConfigError`` in ``config.py``,
``IndexingError`` in ``index/errors.py``, ``BuildError`` in ``pages/builder.py``, ...);
they all derive from :class:`CocowikiError`, so a program that builds, verifies or asks
catches one class, and the ``cw`` command line turns any of them into one line and exit
status 2. The module imports nothing, so every stage can use it without an import cycle.
"""

from __future__ import annotations


class CocowikiError(Exception):
    """A problem with the input or the environment; the message says why and what to do."""
