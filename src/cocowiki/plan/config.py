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
    """

    min_tokens: int = 2_000
    max_tokens: int = 24_000

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, not {self.max_tokens}")
        if not 0 <= self.min_tokens < self.max_tokens:
            raise ValueError(
                f"min_tokens must be at least 0 and below max_tokens ({self.max_tokens}), "
                f"not {self.min_tokens}"
            )
