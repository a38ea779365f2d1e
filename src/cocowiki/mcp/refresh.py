"""``--refresh``: the index brought up to date before an answer, shared by calls that overlap.

A refresh is ``cw index`` on the working tree (a clean rerun reads file stats and parses
nothing). Only a refresh that *started* after a call arrived has surely seen every edit
made before that call, so a call that arrives while one runs waits for it and then for
the next, which it shares with every other call that arrived meanwhile: a burst of calls
costs at most two refreshes. Refreshes run one at a time, from the server's worker threads.
"""

from __future__ import annotations

import threading
import time

from ..query import Refresh, Wiki


class Refresher:
    """Refreshes ``wiki``'s index for each call, sharing refreshes between overlapping calls."""

    def __init__(self, wiki: Wiki) -> None:
        self.wiki = wiki
        self._lock = threading.Lock()
        self._last_start = float("-inf")
        self._last: Refresh | None = None
        self.count = 0

    def __call__(self) -> Refresh:
        """A refresh that began after this call did (made now, or shared with another)."""
        arrived = time.monotonic()
        with self._lock:
            if self._last is not None and self._last_start >= arrived:
                return self._last
            self._last_start = time.monotonic()
            self._last = self.wiki.refresh()
            self.count += 1
            return self._last
