"""The plain-text logs of a run (``logs/manager.log``, ``logs/worker-<id>.log``).

The trace is for tools; these are for a person tailing a run: one timestamped line per
thing that happened, appended, never rewritten.
"""

from __future__ import annotations

from pathlib import Path

from .workspace import utc_now


def append_log(path: Path | None, line: str) -> None:
    """Append ``line`` with a timestamp; a ``None`` path logs nowhere."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{utc_now()} {line}\n")
