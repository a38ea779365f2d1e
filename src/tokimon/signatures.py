"""Call signatures and failure signatures: how tokimon tells a new attempt from a repeat.

An attempt is described by its :class:`Dimensions` (worker role, strategy, retrieval
stage, root-cause hypothesis, tool sequence, plan granularity). Its *call signature* is a
digest of the goal, the step id, the key inputs and those dimensions: two attempts with
the same signature would ask the same worker the same thing the same way, which is what
the retry gate refuses unless the last attempt made progress.

A *failure signature* is a digest of a failure's text with the parts that change from run
to run taken out (addresses, numbers, temporary paths, durations), so "the same failure
again" is recognised even when the traceback's line numbers or timings differ.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DIMENSIONS = (
    "role",
    "strategy",
    "retrieval_stage",
    "hypothesis",
    "tool_sequence",
    "granularity",
)


@dataclass(frozen=True)
class Dimensions:
    """What an attempt does differently from another; at least one changes per retry."""

    role: str
    strategy: str
    retrieval_stage: int = 0
    hypothesis: str | None = None
    tool_sequence: str | None = None
    granularity: str | None = None

    def replace(self, changes: Mapping[str, Any]) -> Dimensions:
        """A copy with ``changes`` applied; unknown names are a ``ValueError`` naming them."""
        unknown = sorted(set(changes) - set(DIMENSIONS))
        if unknown:
            raise ValueError(
                f"unknown retry dimension(s) {', '.join(unknown)}; the dimensions are "
                f"{', '.join(DIMENSIONS)}"
            )
        return dataclasses.replace(self, **dict(changes))

    def changes_from(self, before: Dimensions) -> dict[str, list[Any]]:
        """Each dimension that differs from ``before``, as ``[before, after]``."""
        return {
            name: [getattr(before, name), getattr(self, name)]
            for name in DIMENSIONS
            if getattr(before, name) != getattr(self, name)
        }

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def call_signature(
    goal: str, step_id: str, key_inputs: Mapping[str, Any], dimensions: Dimensions
) -> str:
    """The digest naming one attempt: goal, step, key inputs and every dimension."""
    payload = {
        "goal": goal,
        "step": step_id,
        "inputs": dict(key_inputs),
        **dimensions.to_dict(),
    }
    return "cs-" + hashlib.sha256(_canonical(payload)).hexdigest()[:20]


_VOLATILE = (
    (re.compile(r"0x[0-9a-fA-F]+"), "0xADDR"),
    (re.compile(r"(/tmp|/var/folders|/private/var)/\S+"), "TMPPATH"),
    (re.compile(r"\b\d+(\.\d+)?\s*(s|ms|us|µs|sec|seconds)\b"), "DURATION"),
    (re.compile(r"\bline \d+"), "line N"),
    (re.compile(r"\d+"), "N"),
    (re.compile(r"\s+"), " "),
)


def normalise_failure(text: str) -> str:
    """``text`` with the volatile parts (addresses, temp paths, timings, numbers) masked."""
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text.strip()


def failure_signature(text: str | None) -> str:
    """``fs-<digest>`` of a failure text after :func:`normalise_failure`."""
    normal = normalise_failure(text or "unspecified failure")
    return "fs-" + hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]
