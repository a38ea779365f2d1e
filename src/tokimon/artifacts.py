"""Step outputs on disk: one file per attempt, never overwritten in place.

Attempt 1 of a step writes ``artifacts/steps/<step>/outputs.json``, attempt *n* writes
``outputs.v<n>.json``. Attempt numbers are persisted in ``workflow_state.json`` when an
attempt starts and are never reused (a resumed run starts a *new* attempt), so the
version of an outputs file always names the attempt that produced it, and a file that
already exists is refused rather than replaced: what a step once reported stays
inspectable, including the attempts that failed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .errors import WorkspaceError
from .jsonfile import read_json, write_json
from .workspace import RunPaths

_VERSIONED = re.compile(r"^outputs(?:\.v(\d+))?\.json$")


def outputs_filename(attempt: int) -> str:
    """``outputs.json`` for the first attempt, ``outputs.v<n>.json`` after."""
    if attempt < 1:
        raise ValueError(f"attempts are numbered from 1, got {attempt}")
    return "outputs.json" if attempt == 1 else f"outputs.v{attempt}.json"


class StepArtifacts:
    """The outputs folder of one step."""

    def __init__(self, paths: RunPaths, step_id: str) -> None:
        self.folder = paths.step_artifacts(step_id)
        self.step_id = step_id

    def write_outputs(self, attempt: int, data: dict[str, Any]) -> Path:
        """Write the outputs of ``attempt``; refuse to replace an earlier version."""
        target = self.folder / outputs_filename(attempt)
        if target.exists():
            raise WorkspaceError(
                f"{target} already exists: outputs are versioned per attempt and never overwritten"
            )
        write_json(target, data)
        return target

    def versions(self) -> list[tuple[int, Path]]:
        """``(attempt, path)`` of every outputs file, in attempt order."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.iterdir():
            match = _VERSIONED.match(path.name)
            if match:
                found.append((int(match.group(1) or 1), path))
        return sorted(found)

    def read(self, attempt: int) -> dict[str, Any]:
        data = read_json(self.folder / outputs_filename(attempt))
        if not isinstance(data, dict):
            raise WorkspaceError(f"{self.folder / outputs_filename(attempt)} is not an object")
        return data

    def latest(self) -> dict[str, Any] | None:
        """The outputs of the last attempt that wrote any, or None."""
        versions = self.versions()
        return self.read(versions[-1][0]) if versions else None
