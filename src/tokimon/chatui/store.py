"""Conversations on disk: ``WORKSPACE/chats/<id>.jsonl``, one record a line, append-only.

A chat is the list of its records: ``created``, then ``message`` records (a user's text,
the assistant's answer with its tool calls, each tool's result, as
:class:`tiffany.models.Message` dicts) and ``run`` records (a run started or resumed from
the conversation). Each record is one ``os.write`` to a file opened with ``O_APPEND``, so
a server killed at any point leaves whole lines, and a torn last line is skipped on read,
as ``trace.jsonl`` does. Chat ids are checked against one pattern before they become a
path, so no id leaves the folder.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

from ..errors import TokimonError
from ..workspace import utc_now

CHAT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class UnknownChat(TokimonError):
    """No conversation with that id (or an id that is not one)."""


class ChatStore:
    """The conversations of one workspace."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, chat_id: str) -> Path:
        if not CHAT_ID.fullmatch(chat_id):
            raise UnknownChat(f"no conversation {chat_id!r}: ids are lower-case letters, digits, -")
        return self.root / f"{chat_id}.jsonl"

    def create(self) -> dict[str, Any]:
        """A new, empty conversation; returns its summary."""
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = utc_now()[:19].replace("-", "").replace(":", "").replace("T", "-").lower()
        chat_id = f"{stamp}-{secrets.token_hex(3)}"
        self.append(chat_id, {"type": "created"}, new=True)
        return {"id": chat_id, "title": "New conversation", "updated_at": utc_now(), "count": 0}

    def append(self, chat_id: str, record: dict[str, Any], *, new: bool = False) -> dict[str, Any]:
        path = self.path(chat_id)
        if not new and not path.exists():
            raise UnknownChat(f"no conversation {chat_id!r}")
        stored = {"ts": utc_now(), **record}
        line = json.dumps(stored, ensure_ascii=False, default=str) + "\n"
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line.encode("utf-8"))
        finally:
            os.close(descriptor)
        return stored

    def records(self, chat_id: str) -> list[dict[str, Any]]:
        path = self.path(chat_id)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            raise UnknownChat(f"no conversation {chat_id!r}") from None
        records = []
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line
            if isinstance(record, dict):
                records.append(record)
        return records

    def summaries(self) -> list[dict[str, Any]]:
        """Every conversation, the most recently changed first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.glob("*.jsonl"):
            if CHAT_ID.fullmatch(path.stem):
                found.append((path.stat().st_mtime, path.stem))
        return [self.summary(chat_id) for _, chat_id in sorted(found, reverse=True)]

    def summary(self, chat_id: str) -> dict[str, Any]:
        records = self.records(chat_id)
        title = next(
            (
                r["content"]
                for r in records
                if r.get("type") == "message" and r.get("role") == "user" and r.get("content")
            ),
            "New conversation",
        )
        return {
            "id": chat_id,
            "title": " ".join(str(title).split())[:80],
            "updated_at": records[-1]["ts"] if records else None,
            "count": sum(1 for r in records if r.get("type") == "message"),
        }
