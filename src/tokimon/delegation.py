"""The delegation graph: who asked whom to do what, checked on every delegation.

Nodes are worker calls, edges point from the caller that delegated to the call it made.
Two shapes mean an agent is going round in circles, and :meth:`DelegationGraph.delegate`
refuses both with :class:`~tokimon.errors.DelegationBlocked` before the call happens:

- a *cycle*: the new call gives a role the same task (same key) as one of its own
  ancestors, so it would end up waiting on itself;
- a *repeated subtree*: the same key was already delegated elsewhere and that whole
  subtree produced no artifact that was new at the time (or it is still running), so
  doing it again can only produce the same nothing.

The key of a call is its role and a digest of its task text. Calls cut short by a crash
are marked ``interrupted`` on resume and do not count as repeats. The graph is saved in
``workflow_state.json`` with the steps, so the checks span a resumed run too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import DelegationBlocked

CallState = Literal["running", "finished", "interrupted"]


def call_key(role: str, task: str) -> str:
    return f"{role}:{hashlib.sha256(task.encode('utf-8')).hexdigest()[:16]}"


@dataclass
class Call:
    id: str
    role: str
    task: str
    key: str
    parent: str | None
    step_id: str | None = None
    state: CallState = "running"
    artifacts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)

    def label(self) -> str:
        return f"{self.id}:{self.role}"


class DelegationGraph:
    """Worker calls and their delegations; see the module docstring for the rules."""

    def __init__(self) -> None:
        self.calls: dict[str, Call] = {}
        self.first_seen: dict[str, str] = {}
        """Each artifact with the call that produced it first."""

    # -- building ------------------------------------------------------------------------
    def delegate(
        self, parent: str | None, role: str, task: str, *, step_id: str | None = None
    ) -> Call:
        """Record that ``parent`` (None for a root) delegates ``task`` to ``role``.

        Raises :class:`DelegationBlocked` for a cycle or a fruitless repeat.
        """
        key = call_key(role, task)
        ancestors = self.ancestors(parent)
        path = [call.label() for call in reversed(ancestors)] + [f"new:{role}"]
        for ancestor in ancestors:
            if ancestor.key == key:
                raise DelegationBlocked(
                    f"cycle: {ancestor.label()} already has this task for role {role!r}, "
                    "and the new call would be its own descendant",
                    path,
                )
        ancestor_ids = {call.id for call in ancestors}
        for earlier in self.calls.values():
            if earlier.key != key or earlier.id in ancestor_ids:
                continue
            if earlier.state == "running":
                raise DelegationBlocked(
                    f"repeat: an identical call {earlier.label()} is still running", path
                )
            if earlier.state == "finished" and not self.produced_new(earlier.id):
                raise DelegationBlocked(
                    f"repeat: identical call {earlier.label()} and its subtree produced no "
                    "new artifact; change the task or the role",
                    path,
                )
        if parent is not None and parent not in self.calls:
            raise KeyError(f"unknown parent call {parent!r}")
        call = Call(f"c{len(self.calls) + 1}", role, task, key, parent, step_id)
        self.calls[call.id] = call
        if parent is not None:
            self.calls[parent].children.append(call.id)
        return call

    def finish(self, call_id: str, artifacts: Iterable[str] = ()) -> None:
        """Mark a call done with the artifacts it produced (files, digests, results)."""
        call = self.calls[call_id]
        call.state = "finished"
        for artifact in artifacts:
            call.artifacts.append(artifact)
            self.first_seen.setdefault(artifact, call_id)

    def interrupt_running(self) -> list[str]:
        """Mark every still-running call interrupted (after a crash); returns their ids."""
        interrupted = [c.id for c in self.calls.values() if c.state == "running"]
        for call_id in interrupted:
            self.calls[call_id].state = "interrupted"
        return interrupted

    # -- reading -------------------------------------------------------------------------
    def ancestors(self, call_id: str | None) -> list[Call]:
        """``call_id`` and its ancestors, nearest first."""
        found = []
        while call_id is not None:
            call = self.calls[call_id]
            found.append(call)
            call_id = call.parent
        return found

    def subtree(self, call_id: str) -> list[Call]:
        found, pending = [], [call_id]
        while pending:
            call = self.calls[pending.pop()]
            found.append(call)
            pending.extend(call.children)
        return found

    def produced_new(self, call_id: str) -> bool:
        """Whether some call in this subtree was the first to produce an artifact."""
        ids = {call.id for call in self.subtree(call_id)}
        return any(producer in ids for producer in self.first_seen.values())

    # -- persistence ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        calls = [
            {**vars(c), "artifacts": list(c.artifacts), "children": list(c.children)}
            for c in self.calls.values()
        ]
        return {"calls": calls, "first_seen": dict(self.first_seen)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DelegationGraph:
        graph = cls()
        for item in data.get("calls", []):
            call = Call(**item)
            graph.calls[call.id] = call
        graph.first_seen = dict(data.get("first_seen", {}))
        return graph
