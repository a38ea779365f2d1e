"""Where model pages are kept between builds: one record per page, written as it finishes.

A record holds the model's page, the summary it hands to its parent, its accounting and
the key of the inputs it was written from (source pack, contract version, model spec,
writer settings). It is written atomically the moment a page is done, not with the
build graph at the end of the build, so after a ``kill -9`` the rerun finds every
finished page here and asks the model for none of them again. Beside the records, the
model client's response cache (keyed by request digest) lets a build replay with no
model at all.

Layout under the output directory::

    model/pages/<module>.json
    model/responses/<key[:2]>/<key>.json
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from tiffany.atomic import write_atomic

from .footprints import Footprint

MODEL_DIR = "model"
RECORDS_DIR = "model/pages"
RESPONSES_DIR = "model/responses"


@dataclass(slots=True)
class Accounting:
    """What writing one page took; the manifest's ``writer`` entry of a model page."""

    model: str
    calls: int = 0
    #: Answers replayed from the response cache (no model called, nothing spent).
    replayed: int = 0
    rounds: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = 0.0
    verification: str = "verified"
    problems: list[str] = field(default_factory=list)

    def judge(self, problems: list[str]) -> None:
        """Record the review's verdict (:func:`verdict`)."""
        for name, value in verdict(problems).items():
            setattr(self, name, value)

    def add_cost(self, cost: float | None) -> None:
        self.cost = None if cost is None or self.cost is None else self.cost + cost

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def verdict(problems: list[str]) -> dict[str, Any]:
    """What a review sets in a page's accounting: its problems, and whether it passed."""
    return {"problems": problems, "verification": "unverified" if problems else "verified"}


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """A finished model page, as :class:`ModelRecords` keeps it."""

    key: str
    markdown: str
    summary: str
    accounting: dict[str, Any]
    footprints: list[dict[str, Any]]
    #: The sub-pages the model asked for (:class:`~.modelsubpages.SubPage` as dicts),
    #: deeper ones before their parents.
    subpages: list[dict[str, Any]] = field(default_factory=list)
    #: What ``key`` was made of, for ``cw explain-dirty``: the source pack's digest, the
    #: writer's identity (model, contract, settings) and the contract's version (empty
    #: and 0 in records written before they were kept).
    pack: str = ""
    identity: str = ""
    contract: int = 0


class ModelRecords:
    """The records of one output directory."""

    def __init__(self, output: Path) -> None:
        self.root = output / RECORDS_DIR

    def path(self, module_id: str) -> Path:
        return self.root / f"{module_id}.json"

    def get(self, module_id: str) -> ModelRecord | None:
        try:
            data = json.loads(self.path(module_id).read_text(encoding="utf-8"))
            return ModelRecord(**data)
        except (OSError, ValueError, TypeError):
            return None

    def summary(self, module_id: str) -> str:
        """The summary a page's record hands to its parent ("" without a record)."""
        record = self.get(module_id)
        return record.summary if record is not None else ""

    def current(self, module_id: str, key: str) -> ModelRecord | None:
        """The record of the page when it was written from the same inputs."""
        record = self.get(module_id)
        return record if record is not None and record.key == key else None

    def put(
        self,
        module_id: str,
        key: str,
        markdown: str,
        summary: str,
        accounting: Accounting,
        footprints: list[Footprint],
        subpages: list[dict[str, Any]] | None = None,
        made_of: tuple[str, str, int] = ("", "", 0),
    ) -> ModelRecord:
        """Record a page written now; ``made_of`` is what its key is a digest of (the
        pack's digest, the writer's identity, the contract's version)."""
        pack, identity, contract = made_of
        record = ModelRecord(
            key=key,
            markdown=markdown,
            summary=summary,
            accounting=accounting.to_dict(),
            footprints=[f.model_dump(mode="json") for f in footprints],
            subpages=subpages or [],
            pack=pack,
            identity=identity,
            contract=contract,
        )
        return self._write(module_id, record)

    def rewrite(
        self,
        module_id: str,
        record: ModelRecord,
        markdown: str,
        accounting: dict[str, Any],
        subpages: list[dict[str, Any]],
    ) -> ModelRecord:
        """``record`` with its pages reviewed again (kept sections carried), same key."""
        again = replace(record, markdown=markdown, accounting=accounting, subpages=subpages)
        return self._write(module_id, again)

    def _write(self, module_id: str, record: ModelRecord) -> ModelRecord:
        write_atomic(self.path(module_id), json.dumps(asdict(record), indent=1) + "\n")
        return record

    def keep_only(self, module_ids: set[str]) -> None:
        """Remove the records of pages that are gone from the tree."""
        if self.root.is_dir():
            for path in self.root.glob("*.json"):
                if path.stem not in module_ids:
                    path.unlink()
