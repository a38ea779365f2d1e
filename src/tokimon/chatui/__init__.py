"""``tokimon chat-ui``: a local web app to chat with the agent about a repository and to
start, watch, stop and resume its runs.

The server (:mod:`.server`) runs on a tiffany kernel with the daemon's HTTP layer; the
routes (:mod:`.app`) serve the page from the package's ``static/`` folder (no build step,
no network) and stream events with Server-Sent Events. :mod:`.security` holds the token,
Host and Origin checks, :mod:`.store` the conversations (``WORKSPACE/chats/<id>.jsonl``),
:mod:`.chat` a turn of the conversation with read-only tools, :mod:`.runs` the runs.
See ``docs/tokimon/chat-ui.md``.
"""

from __future__ import annotations

from .server import ChatUiOptions, chat_ui_command

__all__ = ["ChatUiOptions", "chat_ui_command"]
