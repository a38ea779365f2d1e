# ruff: noqa
# mypy: ignore-errors
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Document(_message.Message):
    __slots__ = ("json", "text")
    JSON_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    json: str
    text: str
    def __init__(self, json: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class HealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AgentsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PsRequest(_message.Message):
    __slots__ = ("state", "agent", "limit")
    STATE_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    state: str
    agent: str
    limit: int
    def __init__(self, state: _Optional[str] = ..., agent: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ShowRequest(_message.Message):
    __slots__ = ("id", "wait")
    ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    id: int
    wait: float
    def __init__(self, id: _Optional[int] = ..., wait: _Optional[float] = ...) -> None: ...

class SpawnRequest(_message.Message):
    __slots__ = ("agent", "args_json", "priority")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    ARGS_JSON_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    agent: str
    args_json: str
    priority: str
    def __init__(self, agent: _Optional[str] = ..., args_json: _Optional[str] = ..., priority: _Optional[str] = ...) -> None: ...

class CancelRequest(_message.Message):
    __slots__ = ("id", "wait")
    ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    id: int
    wait: float
    def __init__(self, id: _Optional[int] = ..., wait: _Optional[float] = ...) -> None: ...

class StatsRequest(_message.Message):
    __slots__ = ("prometheus",)
    PROMETHEUS_FIELD_NUMBER: _ClassVar[int]
    prometheus: bool
    def __init__(self, prometheus: _Optional[bool] = ...) -> None: ...

class DumpRequest(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: bool
    def __init__(self, text: _Optional[bool] = ...) -> None: ...

class ShutdownRequest(_message.Message):
    __slots__ = ("grace",)
    GRACE_FIELD_NUMBER: _ClassVar[int]
    grace: float
    def __init__(self, grace: _Optional[float] = ...) -> None: ...

class LogsRequest(_message.Message):
    __slots__ = ("since", "limit", "follow")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    since: int
    limit: int
    follow: bool
    def __init__(self, since: _Optional[int] = ..., limit: _Optional[int] = ..., follow: _Optional[bool] = ...) -> None: ...

class LogEvent(_message.Message):
    __slots__ = ("json",)
    JSON_FIELD_NUMBER: _ClassVar[int]
    json: str
    def __init__(self, json: _Optional[str] = ...) -> None: ...
