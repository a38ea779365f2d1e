"""One turn of a conversation: the model's answer streamed, its read-only tool calls run.

The model sees the conversation so far and may call ``read_file``, ``list_dir``, ``grep``
and, when the repository has a built wiki, ``wiki_ask`` (cocowiki's ``ask``), all through
a :class:`~tokimon.tools.Toolset` on the repository, so the tools' own boundary (the work
tree) and time limits hold. Every text delta, tool call and tool result is published as
an event for the page, and every finished message is appended to the conversation's file;
an answer cut short (Escape on the page, which cancels the turn) is saved as far as it
got, marked ``stopped``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any

import tiffany
from tiffany.models import Completion, Message, ModelClient, ToolCall
from tiffany.models.types import Done, TextDelta

from ..tools import Toolset
from ..tools.wiki import wiki_output

READ_ONLY_TOOLS = ("read_file", "list_dir", "grep")
MAX_MODEL_CALLS = 8
"""Model calls one turn may make (each tool round is one); then the turn ends."""

SYSTEM_PROMPT = """\
You are tokimon, a coding agent, talking with a developer about the repository at {repo}.
Answer in Markdown, briefly and concretely. You may read the repository with the tools
you are given (they cannot change anything); cite files as path:line. To change code, the
developer starts a run with `/run GOAL`."""

Publish = Callable[..., Any]
Save = Callable[[dict[str, Any]], Any]


def wiki_built(tools: Toolset) -> bool:
    """Whether the repository has a built cocowiki (``cw build`` wrote its manifest)."""
    return (wiki_output(tools.tree, tools.config) / "manifest.json").is_file()


def chat_toolset(tools: Toolset) -> Toolset:
    """The read-only tools, with the wiki's ``ask`` when a wiki is built."""
    names = [*READ_ONLY_TOOLS, *(["wiki_ask"] if wiki_built(tools) else [])]
    return tools.subset(names)


def history(records: list[dict[str, Any]]) -> list[Message]:
    """The conversation's messages as the model should see them, runs as short notes."""
    messages: list[Message] = []
    for record in records:
        kind = record.get("type")
        if kind == "message":
            fields: dict[str, Any] = {
                k: record[k]
                for k in ("role", "content", "tool_calls", "tool_call_id", "name", "is_error")
                if k in record
            }
            messages.append(Message.from_dict(fields))
        elif kind == "run":
            note = f"(The developer {record.get('action', 'start')}ed run {record.get('run_id')}"
            messages.append(Message.user(f"{note}: {record.get('goal', '')})"))
    return _answered(messages)


def _answered(messages: list[Message]) -> list[Message]:
    """Drop tool calls whose results were never saved (a turn stopped mid-call)."""
    answered = {m.tool_call_id for m in messages if m.role == "tool"}
    kept: list[Message] = []
    for message in messages:
        if message.tool_calls and not all(c.id in answered for c in message.tool_calls):
            message = Message.assistant(message.content)
        if message.role == "assistant" and not message.content and not message.tool_calls:
            continue
        kept.append(message)
    return kept


async def answer_turn(
    chat_id: str,
    model: ModelClient,
    tools: Toolset,
    messages: list[Message],
    publish: Publish,
    save: Save,
) -> None:
    """Answer the last user message of ``messages``; see the module docstring."""
    conversation = [Message.system(SYSTEM_PROMPT.format(repo=Path(tools.tree.root).name))]
    conversation += messages
    publish("chat.start", chat=chat_id)
    try:
        for _ in range(MAX_MODEL_CALLS):
            completion = await _stream(chat_id, model, tools, conversation, publish, save)
            reply = Message.assistant(completion.text, completion.tool_calls)
            save({"type": "message", **reply.to_dict()})
            conversation.append(reply)
            if not completion.tool_calls:
                break
            for call in completion.tool_calls:
                conversation.append(await _run_tool(chat_id, tools, call, publish, save))
        publish("chat.done", chat=chat_id)
    except tiffany.Cancelled:
        publish("chat.stopped", chat=chat_id)
        raise
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        save({"type": "error", "content": message})
        publish("chat.error", chat=chat_id, error=message)


async def _stream(
    chat_id: str,
    model: ModelClient,
    tools: Toolset,
    conversation: list[Message],
    publish: Publish,
    save: Save,
) -> Completion:
    text: list[str] = []
    try:
        async with aclosing(model.stream(conversation, tools=tools.specs)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    text.append(event.text)
                    publish("chat.delta", chat=chat_id, text=event.text)
                elif isinstance(event, Done):
                    return event.completion
    except tiffany.Cancelled:
        if text:
            partial = {"role": "assistant", "content": "".join(text), "stopped": True}
            save({"type": "message", **partial})
        raise
    raise RuntimeError("the model's stream ended without a final event")


async def _run_tool(
    chat_id: str, tools: Toolset, call: ToolCall, publish: Publish, save: Save
) -> Message:
    publish("chat.tool", chat=chat_id, id=call.id, name=call.name, arguments=call.arguments)
    execution = await tools.execute(call)
    result = execution.result
    publish(
        "chat.tool.result",
        chat=chat_id,
        id=call.id,
        name=call.name,
        content=result.content,
        is_error=result.is_error,
        duration=round(execution.duration, 3),
    )
    message = result.to_message()
    save({"type": "message", **message.to_dict()})
    return message
