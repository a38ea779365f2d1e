"""Tool calling for models that only produce text (agent CLIs, small local models).

The protocol (also documented in ``docs/tiffany/models.md``): the tools are described in
the system message, the model calls one by writing

    <tool_call>
    {"name": "read_file", "arguments": {"path": "README.md"}}
    </tool_call>

(several blocks for several calls), and each result comes back in a user message as

    <tool_result id="call-1-0" name="read_file">...</tool_result>

Tags were chosen over JSON-only replies because models keep them intact even when they
also want to explain themselves, and a regex finds them without a streaming parser.
Parsed calls are ordinary :class:`ToolCall` values, so validation and error feedback are
the same as for native tool calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from html import escape

from .types import Message, ToolCall, ToolSpec

CALL_RE = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)
_FENCE_RE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_NAME_RE = re.compile(r'"name"\s*:\s*"([^"]+)"')

INSTRUCTIONS = """\
You can call tools. To call a tool, write a block of exactly this form, with a JSON object
holding the tool's name and its arguments:

<tool_call>
{{"name": "TOOL_NAME", "arguments": {{"PARAMETER": "VALUE"}}}}
</tool_call>

Write one block per call and nothing after the last block, then stop and wait: each
result comes back to you as <tool_result id="..." name="...">RESULT</tool_result>.
When you need no tool, answer in plain text without any <tool_call> block.

Available tools:
{tools}"""


def render_tools(tools: Sequence[ToolSpec]) -> str:
    """The system-prompt section that teaches a model the protocol and lists the tools."""
    lines = []
    for spec in tools:
        lines.append(
            f"- {spec.name}: {spec.description or '(no description)'}\n"
            f"  parameters (JSON Schema): {json.dumps(spec.parameters, sort_keys=True)}"
        )
    return INSTRUCTIONS.format(tools="\n".join(lines))


def render_call(call: ToolCall) -> str:
    body = json.dumps({"name": call.name, "arguments": call.arguments}, ensure_ascii=False)
    if call.arguments_error is not None:
        body = f'{{"name": {json.dumps(call.name)}, "arguments": {call.raw_arguments}}}'
    return f"<tool_call>\n{body}\n</tool_call>"


def render_result(message: Message) -> str:
    name = escape(message.name or "", quote=True)
    call_id = escape(message.tool_call_id or "", quote=True)
    status = ' status="error"' if message.is_error else ""
    return f'<tool_result id="{call_id}" name="{name}"{status}>{message.content}</tool_result>'


def encode(messages: Sequence[Message], tools: Sequence[ToolSpec]) -> tuple[Message, ...]:
    """Rewrite a conversation with native tool turns into plain text turns.

    Consecutive tool results become one user message, since several calls made in one
    turn are answered together.
    """
    out: list[Message] = []
    prompt = render_tools(tools) if tools else ""
    rest = list(messages)
    if prompt:
        if rest and rest[0].role == "system":
            out.append(Message.system(f"{rest[0].content}\n\n{prompt}"))
            rest = rest[1:]
        else:
            out.append(Message.system(prompt))
    pending: list[str] = []
    for message in rest:
        if message.role == "tool":
            pending.append(render_result(message))
            continue
        if pending:
            out.append(Message.user("\n".join(pending)))
            pending = []
        if message.role == "assistant" and message.tool_calls:
            blocks = [render_call(call) for call in message.tool_calls]
            text = "\n".join([message.content, *blocks]) if message.content else "\n".join(blocks)
            out.append(Message.assistant(text))
        else:
            out.append(message)
    if pending:
        out.append(Message.user("\n".join(pending)))
    return tuple(out)


def decode(text: str, *, turn: int = 0) -> tuple[str, tuple[ToolCall, ...]]:
    """Split a reply into its prose and its tool calls.

    Call ids are ``call-<turn>-<n>``: stable across reruns (so caches and scripts keep
    working) and distinct across turns of one conversation.
    """
    calls: list[ToolCall] = []
    for n, match in enumerate(CALL_RE.finditer(text)):
        body = match.group(1).strip()
        fenced = _FENCE_RE.match(body)
        if fenced:
            body = fenced.group(1)
        call_id = f"call-{turn}-{n}"
        try:
            data = json.loads(body)
        except json.JSONDecodeError as exc:
            found = _NAME_RE.search(body)
            name = found.group(1) if found else ""
            calls.append(
                ToolCall(call_id, name, {}, body, f"the <tool_call> block is not valid JSON: {exc}")
            )
            continue
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            calls.append(
                ToolCall(
                    call_id,
                    "",
                    {},
                    body,
                    'a <tool_call> block must hold {"name": ..., "arguments": {...}}',
                )
            )
            continue
        arguments = data.get("arguments", {})
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
        calls.append(ToolCall.parse(call_id, data["name"], raw))
    prose = CALL_RE.sub("", text).strip()
    return prose, tuple(calls)
