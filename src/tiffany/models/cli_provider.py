"""Local agent CLIs as models: ``claude -p --output-format json`` and ``codex exec --json``.

Each call is one subprocess. The prompt goes through stdin, never argv, so it is neither
limited by the command-line length nor visible in ``ps``. The process runs in its own
session and its whole process group is killed on timeout or when the calling task is
cancelled, so an abandoned call leaves nothing running. These CLIs have no native tool
calls for us, so the client speaks the text tool protocol to them, and they do not stream
tokens to us, so streaming yields the whole answer at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal

import tiffany

from .errors import ConfigError, ProviderError
from .redact import Redactor
from .types import Completion, Done, Message, Request, StreamEvent, TextDelta, Usage

CLIKind = Literal["claude", "codex"]
KINDS: tuple[str, ...] = ("claude", "codex")
_STDERR_TAIL = 2000


def render_prompt(messages: Sequence[Message]) -> str:
    """A conversation as one prompt: the text alone when there is one user turn."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    turns = [m for m in messages if m.role != "system"]
    if len(turns) == 1 and turns[0].role == "user":
        body = turns[0].content
    else:
        labels = {"user": "User", "assistant": "Assistant", "tool": "Tool result"}
        body = "\n\n".join(f"{labels[m.role]}: {m.content}" for m in turns)
        body += "\n\nAssistant:"
    return f"{system}\n\n{body}" if system else body


def parse_claude(stdout: str, provider: str) -> Completion:
    """Read ``claude -p --output-format json``: one result object (or a list ending in one)."""
    try:
        data: Any = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise ProviderError(
            f"claude printed something that is not JSON ({exc.msg}): {stdout[:200]!r}",
            provider=provider,
            kind="malformed",
        ) from None
    if isinstance(data, list):
        data = next(
            (d for d in reversed(data) if isinstance(d, dict) and d.get("type") == "result"), None
        )
    if not isinstance(data, dict) or ("result" not in data and not data.get("is_error")):
        raise ProviderError(
            "claude printed JSON without a result object", provider=provider, kind="malformed"
        )
    if data.get("is_error") or str(data.get("subtype", "success")) != "success":
        message = str(data.get("result") or data.get("error") or data.get("subtype"))
        raise ProviderError(message, provider=provider, kind="cli")
    raw_usage = data.get("usage") or {}
    cached = int(raw_usage.get("cache_read_input_tokens") or 0)
    usage = Usage(
        int(raw_usage.get("input_tokens") or 0) + cached,
        int(raw_usage.get("output_tokens") or 0),
        cached,
    )
    models = data.get("modelUsage")
    model = next(iter(models), "") if isinstance(models, dict) and models else ""
    return Completion(
        text=str(data.get("result") or ""), usage=usage, model=model, provider=provider
    )


def parse_codex(stdout: str, provider: str) -> Completion:
    """Read ``codex exec --json``: JSONL events; the last agent message is the answer."""
    texts: list[str] = []
    usage = Usage()
    for line in stdout.splitlines():
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # codex prints the odd human line; the events are what count
        if not isinstance(event, dict):
            continue
        kind = event.get("type")
        item = event.get("item") or {}
        if kind == "item.completed" and item.get("type") in ("agent_message", "assistant_message"):
            texts.append(str(item.get("text", "")))
        elif kind == "turn.completed":
            raw = event.get("usage") or {}
            usage = Usage(
                int(raw.get("input_tokens") or 0),
                int(raw.get("output_tokens") or 0),
                int(raw.get("cached_input_tokens") or 0),
            )
        elif kind in ("turn.failed", "error"):
            error = event.get("error")
            message = error.get("message") if isinstance(error, dict) else event.get("message")
            raise ProviderError(str(message or line), provider=provider, kind="cli")
        elif isinstance(event.get("msg"), dict) and event["msg"].get("type") == "agent_message":
            texts.append(str(event["msg"].get("message", "")))  # the older event format
    if not texts:
        raise ProviderError(
            "codex finished without an agent message", provider=provider, kind="malformed"
        )
    return Completion(text=texts[-1], usage=usage, provider=provider)


class CLIProvider:
    """One agent CLI; ``model`` is passed as ``--model`` when given."""

    native_tools = False

    def __init__(
        self,
        kind: CLIKind,
        *,
        model: str | None = None,
        executable: str | None = None,
        timeout: float = 600.0,
        extra_args: Sequence[str] = (),
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        name: str = "cli",
        redactor: Redactor | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ConfigError(f"unknown CLI {kind!r}; use one of {', '.join(KINDS)}")
        self.kind: CLIKind = kind
        self.cli_model = model
        self.model = f"{kind}:{model}" if model else kind
        self.executable = executable or kind
        self.timeout = timeout
        self.extra_args = tuple(extra_args)
        self.cwd = cwd
        self.env = dict(env) if env is not None else None
        self.name = name
        self.redactor = redactor or Redactor()

    def argv(self) -> list[str]:
        model = ["--model", self.cli_model] if self.cli_model else []
        if self.kind == "claude":
            return [self.executable, "-p", "--output-format", "json", *model, *self.extra_args]
        return [self.executable, "exec", "--json", *model, *self.extra_args, "-"]

    def _resolve(self, argv: list[str]) -> list[str]:
        env_path = (self.env or os.environ).get("PATH")
        found = shutil.which(argv[0], path=env_path)
        if found is None:
            raise ConfigError(
                f"the {self.kind} CLI ({argv[0]!r}) is not on PATH; install it "
                "or pass executable= with its full path"
            )
        return [found, *argv[1:]]

    @staticmethod
    def _kill(process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def _communicate(self, process: subprocess.Popen[bytes], prompt: bytes) -> tuple[str, str]:
        try:
            out, err = process.communicate(prompt, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self._kill(process)
            process.communicate()
            raise ProviderError(
                f"{self.kind} did not finish within {self.timeout} s",
                provider=self.name,
                retryable=True,
                kind="timeout",
            ) from None
        return out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    async def complete(self, request: Request) -> Completion:
        argv = self._resolve(self.argv())
        prompt = render_prompt(request.messages).encode("utf-8")
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.cwd,
                env=self.env,
                start_new_session=True,
            )
        except OSError as exc:
            raise ProviderError(
                f"cannot start {argv[0]}: {exc}", provider=self.name, kind="cli"
            ) from None
        try:
            out, err = await tiffany.to_thread(self._communicate, process, prompt, cancellable=True)
        except BaseException:
            self._kill(process)  # cancelled or failed: leave no process behind
            raise
        if process.returncode != 0:
            detail = err.strip()[-_STDERR_TAIL:] or out.strip()[-_STDERR_TAIL:]
            raise ProviderError(
                self.redactor.text(
                    f"{self.kind} exited with status {process.returncode}: {detail}"
                ),
                provider=self.name,
                kind="cli",
            )
        parse = parse_claude if self.kind == "claude" else parse_codex
        try:
            completion = parse(out, self.name)
        except ProviderError as exc:
            exc.message = self.redactor.text(exc.message)
            raise
        if not completion.model:
            completion = Completion(
                completion.text,
                completion.tool_calls,
                completion.finish_reason,
                completion.usage,
                self.model,
                completion.provider,
            )
        return completion

    async def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        completion = await self.complete(request)
        if completion.text:
            yield TextDelta(completion.text)
        yield Done(completion)
