"""How the module tree is cut into pages: the bounds, in source tokens, of one page.

A page is written for a maintainer (and, with the model-backed writer, from the full
source of its files), so its size is measured in source tokens. The estimate is cheap and
stable rather than exact: a file's size in bytes divided by four, rounded up. It needs no
tokenizer, depends only on the file's bytes, and is close enough to what BPE tokenizers
give for source code to bound a page.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Bytes of source per estimated token.
BYTES_PER_TOKEN = 4


def estimate_tokens(size: int) -> int:
    """Estimated source tokens in a file of ``size`` bytes (``ceil(size / 4)``)."""
    return -(-size // BYTES_PER_TOKEN)


@dataclass(frozen=True, slots=True)
class PlanConfig:
    """The ``[plan]`` section of ``config.toml``.

    * ``min_tokens``: a directory whose files (its subdirectories included) hold fewer
      tokens than this does not get a page of its own; its files join its parent's page.
      The default, 2,000 tokens, is about 200 lines of code.
    * ``max_tokens``: the files documented on one page hold at most this many tokens; a
      module with more is split by communities of its reference graph. A single file
      larger than this is a page of its own. The default, 24,000 tokens, is about 2,500
      lines: what a maintainer reads in one sitting, and what fits a model's context
      with room for the answer.

    Grouping by a model (``docs/cocowiki/plan.md``, "Clustering with a model"):

    * ``model``: a ``tiffany.models`` spec (``openai:gpt-4o-mini``); when set, ``cw plan``
      and ``cw build`` ask it to group the code's files into modules; empty (the
      default): the deterministic tree only. ``cw plan --model`` sets it for one run.
    * ``cluster_above_tokens``: code holding no more than this keeps the deterministic
      tree and no model is asked (36,000, CodeWiki's threshold).
    * ``cluster_leaf_tokens``: a module the model made that holds more than this is
      divided again (16,000, CodeWiki's leaf size).
    * ``cluster_depth``: levels of modules the model makes (2, as CodeWiki).
    * ``cluster_rounds``: asks per grouping, the first included, before its problems
      make the plan keep the deterministic tree (3).
    """

    min_tokens: int = 2_000
    max_tokens: int = 24_000
    model: str = ""
    cluster_above_tokens: int = 36_000
    cluster_leaf_tokens: int = 16_000
    cluster_depth: int = 2
    cluster_rounds: int = 3

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, not {self.max_tokens}")
        if not 0 <= self.min_tokens < self.max_tokens:
            raise ValueError(
                f"min_tokens must be at least 0 and below max_tokens ({self.max_tokens}), "
                f"not {self.min_tokens}"
            )
        for name in (
            "cluster_above_tokens",
            "cluster_leaf_tokens",
            "cluster_depth",
            "cluster_rounds",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
