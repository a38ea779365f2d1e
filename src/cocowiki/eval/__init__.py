"""``cw eval``: deterministic measures of a wiki and judged rubric scores (see
``docs/cocowiki/eval.md``)."""

from .command import run_eval_command

__all__ = ["run_eval_command"]
