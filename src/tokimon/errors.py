"""What can go wrong in tokimon, split by who has to act on it.

:class:`TokimonError` and its subclasses are problems a user can fix (a bad workflow, an
unknown run id, a model that never produced a valid plan): the CLI prints their message
and exits with status 2, without a traceback. :class:`IllegalTransition` is different:
it means tokimon itself tried to move a step along an edge the state machine does not
have, which is a bug, so it is a ``RuntimeError`` and is allowed to crash loudly.
"""

from __future__ import annotations

from collections.abc import Sequence


class TokimonError(Exception):
    """A problem with the user's input or environment, explained in the message."""


class UsageError(TokimonError):
    """Bad input from the command line or a config file (exit status 2)."""


class WorkspaceError(TokimonError):
    """The workspace or a run folder is missing, locked or damaged."""


class RunNotFound(WorkspaceError):
    """No run matches the id the user gave."""


class RunLocked(WorkspaceError):
    """Another live process is executing this run."""


class WorkflowInvalid(TokimonError):
    """A workflow failed validation; ``problems`` lists every problem found, one a line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        listed = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(f"the workflow is invalid ({len(self.problems)} problem(s)):\n{listed}")


class PlanError(TokimonError):
    """The model did not produce a valid plan within the allowed number of asks."""


class DelegationBlocked(TokimonError):
    """A delegation would close a cycle or repeat a subtree that produced nothing new."""

    def __init__(self, reason: str, path: Sequence[str]) -> None:
        self.reason = reason
        self.path = tuple(path)
        super().__init__(f"delegation blocked: {reason} (path: {' -> '.join(self.path)})")


class IllegalTransition(RuntimeError):
    """A step was asked to move along an edge the step state machine does not have."""

    def __init__(self, step_id: str, current: str, target: str) -> None:
        self.step_id = step_id
        self.current = current
        self.target = target
        super().__init__(f"step {step_id!r}: illegal transition {current} -> {target}")
