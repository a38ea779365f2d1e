"""Frozen dataclasses as plain JSON data and back: :func:`to_json` and :func:`from_json`.

The results cocowiki and tokimon return are frozen dataclasses whose fields are their
``--json`` keys; one serialiser for both keeps a field and its JSON key from drifting
apart. :func:`from_json` is the inverse of :func:`to_json`
(``from_json(T, to_json(x)) == x``), driven by the field annotations alone.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

__all__ = ["from_json", "to_json"]

T = TypeVar("T")


def to_json(value: Any) -> Any:
    """``value`` as plain JSON data: dataclasses become objects (one key per field, in
    field order), tuples become lists; everything else is kept as it is."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


def from_json(kind: type[T], data: Any) -> T:
    """A ``kind`` (a frozen result dataclass) from the JSON data :func:`to_json` gives.

    A key missing from ``data`` or one ``kind`` has no field for raises ``TypeError``:
    the JSON and the dataclass must match key for key.
    """
    return typing.cast(T, _convert(kind, data))


def _convert(kind: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(kind) if arg is not type(None)]
        return _convert(options[0], data) if len(options) == 1 else data
    if origin is tuple:
        (item, *_rest) = get_args(kind)
        return tuple(_convert(item, value) for value in data)
    if origin is dict:
        _key, item = get_args(kind)
        return {key: _convert(item, value) for key, value in data.items()}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = get_type_hints(kind)
        names = {f.name for f in dataclasses.fields(kind)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise TypeError(f"{kind.__name__} has no field for the key(s) {', '.join(unknown)}")
        return kind(**{key: _convert(hints[key], value) for key, value in data.items()})
    return data
