"""Reading a model's final answer: the JSON object in it, and what a worker reported.

Models wrap JSON in prose and Markdown fences more often than not, so
:func:`find_json_object` looks for an object the way a person would: the whole reply,
then each fenced block, then the first ``{`` from which a whole object parses. A worker's
answer without any JSON is still an answer (its text is the summary); one whose JSON is
there but malformed is reported as such, because the manager's plan depends on it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

OutcomeState = Literal["SUCCEEDED", "FAILED", "BLOCKED", "PARTIAL"]
STATUSES: dict[str, OutcomeState] = {
    "succeeded": "SUCCEEDED",
    "success": "SUCCEEDED",
    "done": "SUCCEEDED",
    "failed": "FAILED",
    "failure": "FAILED",
    "partial": "PARTIAL",
    "blocked": "BLOCKED",
}
_FENCE = re.compile(r"```[A-Za-z0-9_-]*\s*\n(.*?)```", re.DOTALL)


class NoJsonObject(ValueError):
    """The text holds no JSON object; the message says what was found instead."""


def find_json_object(text: str) -> dict[str, Any]:
    """The JSON object a reply carries (see the module docstring), else :class:`NoJsonObject`."""
    candidates = [text.strip(), *(block.strip() for block in _FENCE.findall(text))]
    first_error: str | None = None
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError as exc:
            if candidate.startswith("{") and first_error is None:
                first_error = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError as exc:
            if first_error is None:
                first_error = f"{exc.msg} (from the '{{' at character {match.start()})"
            continue
        if isinstance(value, dict):
            return value
    if first_error is not None:
        raise NoJsonObject(f"the JSON in the reply does not parse: {first_error}")
    raise NoJsonObject("the reply holds no JSON object")


@dataclass(frozen=True)
class FinalAnswer:
    """What a worker said it did, read from its last reply."""

    state: OutcomeState
    summary: str
    outputs: dict[str, Any] = field(default_factory=dict)
    failure: str | None = None
    retry_with: dict[str, Any] = field(default_factory=dict)
    lesson: str | None = None


def read_final_answer(text: str) -> FinalAnswer:
    """The worker's report; a reply without a usable JSON object counts as done, its
    text the summary (the tests, not the words, decide whether a change worked)."""
    try:
        data = find_json_object(text)
    except NoJsonObject:
        return FinalAnswer("SUCCEEDED", text.strip() or "(the worker gave no summary)")
    status = str(data.get("status", "succeeded")).strip().lower()
    state = STATUSES.get(status, "FAILED")
    summary = str(data.get("summary") or "").strip() or text.strip()[:2000]
    failure = data.get("failure")
    if status not in STATUSES:
        failure = f"the worker reported an unknown status {status!r}"
    outputs = data.get("outputs")
    retry_with = data.get("retry_with")
    lesson = data.get("lesson")
    return FinalAnswer(
        state=state,
        summary=summary,
        outputs=outputs if isinstance(outputs, dict) else {},
        failure=str(failure) if failure else None,
        retry_with=retry_with if isinstance(retry_with, dict) else {},
        lesson=str(lesson) if lesson else None,
    )
