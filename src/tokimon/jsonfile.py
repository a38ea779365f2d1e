"""JSON documents on disk: written atomically, read with errors that name the file.

Every state file of a run (``run.json``, ``workflow_state.json``, step outputs) goes
through here so that a crash never leaves half a document and a damaged one is reported
as such instead of as a bare ``JSONDecodeError``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tiffany.atomic import write_atomic

from .errors import WorkspaceError


def dumps(data: Any) -> str:
    """Stable, readable JSON: sorted keys, two-space indent, a final newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: Path, data: Any) -> None:
    """Replace ``path`` with ``data`` as JSON, atomically and durably."""
    write_atomic(path, dumps(data))


def read_json(path: Path) -> Any:
    """The JSON document at ``path``; a missing or damaged file is a :class:`WorkspaceError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkspaceError(f"{path} does not exist") from None
    except OSError as exc:
        raise WorkspaceError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkspaceError(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}); "
            "the file was damaged outside tokimon"
        ) from None
