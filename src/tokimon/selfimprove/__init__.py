"""Self-improvement: N agent sessions in git worktrees, scored by the evaluation command,
the winner squash-merged into master under a lock, or master left untouched.

``tokimon self-improve GOAL``; the loop and its guarantees are in
``docs/tokimon/self-improve.md``.
"""

from .commands import SelfImproveChoices, self_improve_command
from .merge import merge_lock, merge_winner, recover
from .run import Plan, self_improve
from .score import pick_winner, score
from .session import SessionSpec, run_session

__all__ = [
    "Plan",
    "SelfImproveChoices",
    "SessionSpec",
    "merge_lock",
    "merge_winner",
    "pick_winner",
    "recover",
    "run_session",
    "score",
    "self_improve",
    "self_improve_command",
]
