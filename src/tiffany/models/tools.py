"""Tool specs built from Python, and tool calls checked before anything runs them.

Models get tool calls wrong in three ways: arguments that are not JSON, arguments that do
not fit the schema, and tools that do not exist. All three come back as a
:class:`ToolResult` with ``is_error=True`` whose text says what was wrong and what is
allowed, because a model that reads its mistake usually fixes it on the next turn, while
an exception would end the whole agent run.

Specs built from a pydantic model or a typed function are validated by pydantic; specs
given as raw JSON Schema are checked against the subset of JSON Schema that tool
parameters use in practice (``type``, ``properties``, ``required``,
``additionalProperties``, ``enum``, ``items``, ``anyOf``), which needs no extra dependency.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, get_type_hints

import pydantic

from .types import ToolCall, ToolResult, ToolSpec


def _description(doc: str | None) -> str:
    """The first paragraph of a docstring: what a model needs, not the implementer's notes."""
    if not doc:
        return ""
    return inspect.cleandoc(doc).split("\n\n", 1)[0].replace("\n", " ").strip()


def _strip_titles(schema: Any) -> Any:
    """Pydantic's generated ``title`` keys cost tokens and tell the model nothing new."""
    if isinstance(schema, dict):
        return {k: _strip_titles(v) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


def _pydantic_validator(model: type[pydantic.BaseModel]) -> Callable[[dict[str, Any]], Any]:
    def validate(arguments: dict[str, Any]) -> Any:
        return model.model_validate(arguments)

    return validate


def tool_from_model(
    model: type[pydantic.BaseModel], *, name: str | None = None, description: str | None = None
) -> ToolSpec:
    """A tool whose parameters are the fields of a pydantic model."""
    schema = _strip_titles(model.model_json_schema())
    schema.setdefault("type", "object")
    return ToolSpec(
        name=name or model.__name__,
        description=description if description is not None else _description(model.__doc__),
        parameters=schema,
        validator=_pydantic_validator(model),
    )


def tool_from_function(
    fn: Callable[..., Any], *, name: str | None = None, description: str | None = None
) -> ToolSpec:
    """A tool whose parameters are a function's typed parameters.

    Every parameter needs a type hint, since the hint is the schema the model is shown;
    defaults make parameters optional.
    """
    signature = inspect.signature(fn)
    hints = get_type_hints(fn)
    fields: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(
                f"tool {fn.__name__!r}: *args and **kwargs cannot be described "
                "to a model; give every parameter a name and a type"
            )
        if param.name not in hints:
            raise TypeError(f"tool {fn.__name__!r}: parameter {param.name!r} needs a type hint")
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (hints[param.name], default)
    model = pydantic.create_model(f"{fn.__name__}_arguments", **fields)
    return tool_from_model(
        model,
        name=name or fn.__name__,
        description=description if description is not None else _description(fn.__doc__),
    )


# == validation ==========================================================================

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _type_ok(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _JSON_TYPES.get(kind, (object,)))


def schema_errors(value: Any, schema: Mapping[str, Any], path: str = "arguments") -> list[str]:
    """Problems with ``value`` under the common subset of JSON Schema, one line each."""
    errors: list[str] = []
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema.get("oneOf") or []
        if not any(not schema_errors(value, option, path) for option in options):
            errors.append(f"{path}: does not match any allowed form")
        return errors
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if kinds and not any(_type_ok(value, k) for k in kinds):
        errors.append(f"{path}: expected {' or '.join(kinds)}, got {json.dumps(value)[:80]}")
        return errors
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(json.dumps(v) for v in schema["enum"])
        errors.append(f"{path}: must be one of {allowed}")
    if isinstance(value, dict):
        properties: Mapping[str, Any] = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}.{key}: required but missing")
        for key, item in value.items():
            if key in properties:
                errors.extend(schema_errors(item, properties[key], f"{path}.{key}"))
            elif schema.get("additionalProperties") is False:
                allowed = ", ".join(properties) or "none"
                errors.append(f"{path}.{key}: unknown parameter (allowed: {allowed})")
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            errors.extend(schema_errors(item, schema["items"], f"{path}[{i}]"))
    return errors


def _pydantic_errors(exc: pydantic.ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"])
        lines.append(
            f"arguments.{location}: {error['msg']}" if location else f"arguments: {error['msg']}"
        )
    return lines


@dataclass(frozen=True, slots=True)
class ValidCall:
    """A tool call that passed every check; ``value`` is what the validator built, if any."""

    call: ToolCall
    spec: ToolSpec
    value: Any = None


def _error(call: ToolCall, text: str) -> ToolResult:
    return ToolResult(call_id=call.id, name=call.name, content=text, is_error=True)


def validate_call(call: ToolCall, tools: Iterable[ToolSpec]) -> ValidCall | ToolResult:
    """Check a tool call; a problem comes back as an error result addressed to the model."""
    by_name = {spec.name: spec for spec in tools}
    spec = by_name.get(call.name)
    if spec is None:
        available = ", ".join(sorted(by_name)) or "none"
        return _error(
            call,
            f"Error: there is no tool named {call.name!r}. "
            f"Available tools: {available}. Call one of those.",
        )
    if call.arguments_error is not None:
        return _error(
            call,
            f"Error: the arguments for {call.name!r} could not be used: "
            f"{call.arguments_error}. Send the arguments as one JSON object "
            f"matching the schema: {json.dumps(spec.parameters)}",
        )
    if spec.validator is not None:
        try:
            value = spec.validator(call.arguments)
        except pydantic.ValidationError as exc:
            problems = _pydantic_errors(exc)
        else:
            return ValidCall(call, spec, value)
    else:
        problems = schema_errors(call.arguments, spec.parameters)
        if not problems:
            return ValidCall(call, spec, call.arguments)
    return _error(
        call,
        f"Error: invalid arguments for {call.name!r}:\n- "
        + "\n- ".join(problems)
        + f"\nFix them and call the tool again. Schema: "
        f"{json.dumps(spec.parameters)}",
    )


ToolFunction = Callable[..., Any | Awaitable[Any]]


class Toolbox:
    """Tools a model may use, with the Python functions behind them.

    ``run`` never raises for the model's mistakes or the tool's own exceptions: both
    become error results, so one bad call costs a turn, not the run.
    """

    def __init__(self) -> None:
        self._specs: dict[str, ToolSpec] = {}
        self._functions: dict[str, ToolFunction] = {}

    def add(
        self, fn: ToolFunction, *, name: str | None = None, description: str | None = None
    ) -> ToolSpec:
        spec = tool_from_function(fn, name=name, description=description)
        if spec.name in self._specs:
            raise ValueError(f"a tool named {spec.name!r} is already in this toolbox")
        self._specs[spec.name] = spec
        self._functions[spec.name] = fn
        return spec

    def tool(self, fn: ToolFunction) -> ToolFunction:
        """Decorator form of :meth:`add`."""
        self.add(fn)
        return fn

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        return tuple(self._specs.values())

    def validate(self, call: ToolCall) -> ValidCall | ToolResult:
        return validate_call(call, self._specs.values())

    async def run(self, call: ToolCall) -> ToolResult:
        checked = self.validate(call)
        if isinstance(checked, ToolResult):
            return checked
        fn = self._functions[call.name]
        value = checked.value
        kwargs = dict(value) if isinstance(value, pydantic.BaseModel) else dict(call.arguments)
        try:
            result = fn(**kwargs)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            return _error(call, f"Error: tool {call.name!r} failed: {type(exc).__name__}: {exc}")
        content = result if isinstance(result, str) else json.dumps(result, default=str)
        return ToolResult(call_id=call.id, name=call.name, content=content)
