"""``make_writer``: the page writer a build's settings ask for.

Without a model (no ``--model``, no ``[writer] model``) the deterministic writer; with
one, a :class:`~.modelwriter.ModelWriter` on a ``tiffany.models`` client whose
response cache lives in the output folder (so a build can replay with no model), whose
answers ``review`` checks (:class:`~.modelreview.Reviewer`). Keys
come from the environment only, as ``tiffany.models`` reads them; nothing here writes
one anywhere.
"""

from __future__ import annotations

from pathlib import Path

from tiffany.models import ConfigError as ModelConfigError
from tiffany.models import client

from ..config import WriterConfig
from ..errors import CocowikiError
from .modelreview import Reviewer
from .modelstore import RESPONSES_DIR, ModelRecords
from .modelwriter import ModelWriter
from .writer import DeterministicWriter, PageWriter
from .writerrun import RunLimits


class WriterError(CocowikiError):
    """The model writer cannot start; the message names the problem and the fix."""


def make_writer(
    settings: WriterConfig, limits: RunLimits, output: Path, review: Reviewer
) -> PageWriter:
    if not settings.uses_model:
        return DeterministicWriter()
    try:
        llm = client(
            settings.model,
            cache=output / RESPONSES_DIR,
            spending_limit=limits.spending_limit(),
        )
    except ModelConfigError as exc:
        raise WriterError(f"--model {settings.model}: {exc}") from exc
    return ModelWriter(llm, settings.model, settings, ModelRecords(output), limits, review)
