"""Generate the Python stubs of ``v1/daemon.proto`` with grpcio-tools.

The stubs are committed, so installing tiffany (or its wheel) needs neither grpcio-tools
nor a build step, and what runs is what was reviewed. A test keeps them honest: the
descriptor compiled into ``daemon_pb2.py`` must equal the one protoc makes from the
.proto today (any grpcio-tools), and, when the installed grpcio-tools is the version
that generated them, all three files must match a fresh generation byte for byte. Run
``python -m tiffany.daemon.rpc.stubs`` after changing the .proto.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

#: ``src/``: the .proto's path below it decides the generated imports
#: (``from tiffany.daemon.rpc.v1 import daemon_pb2``).
SOURCE_ROOT = Path(__file__).resolve().parents[3]
PROTO = Path("tiffany/daemon/rpc/v1/daemon.proto")
OUTPUTS = ("daemon_pb2.py", "daemon_pb2.pyi", "daemon_pb2_grpc.py")

#: Generated code is not ours to lint or type-check; the stubs' .pyi carries the types.
HEADER = "# ruff: noqa\n# mypy: ignore-errors\n"

#: Lines that name the generator's version: equal stubs from another grpcio-tools differ
#: only here, so the drift check ignores them.
VERSION_LINE = re.compile(r"^(# Protobuf Python Version:|GRPC_GENERATED_VERSION =).*$", re.M)


def generate(out_root: Path) -> list[Path]:
    """Write the stubs under ``out_root`` (at ``PROTO``'s directory); return their paths."""
    from grpc_tools import protoc

    out = str(out_root)
    status = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{SOURCE_ROOT}",
            f"--python_out={out}",
            f"--pyi_out={out}",
            f"--grpc_python_out={out}",
            str(SOURCE_ROOT / PROTO),
        ]
    )
    if status != 0:
        raise RuntimeError(f"protoc failed on {PROTO} (exit {status}); see its message above")
    paths = [out_root / PROTO.parent / name for name in OUTPUTS]
    for path in paths:
        path.write_text(HEADER + path.read_text())
    return paths


def comparable(text: str) -> str:
    """``text`` without the lines that only name the generator's version."""
    return VERSION_LINE.sub("", text)


def descriptor_of_proto(work: Path) -> bytes:
    """The serialized ``FileDescriptorProto`` protoc makes from the .proto now."""
    from google.protobuf import descriptor_pb2
    from grpc_tools import protoc

    out = work / "daemon.desc"
    status = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{SOURCE_ROOT}",
            f"--descriptor_set_out={out}",
            str(SOURCE_ROOT / PROTO),
        ]
    )
    if status != 0:
        raise RuntimeError(f"protoc failed on {PROTO} (exit {status}); see its message above")
    proto = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file[0]
    # A descriptor set spells out each field's json_name; generated code leaves it implied.
    messages = list(proto.message_type)
    while messages:
        message = messages.pop()
        for field in message.field:
            field.ClearField("json_name")
        messages.extend(message.nested_type)
    return bytes(proto.SerializeToString(deterministic=True))


def generated_by() -> str:
    """The grpcio-tools version that generated the committed stubs."""
    text = (SOURCE_ROOT / PROTO.parent / "daemon_pb2_grpc.py").read_text()
    found = re.search(r"^GRPC_GENERATED_VERSION = '([^']+)'", text, re.M)
    return found.group(1) if found else "unknown"


def main() -> int:
    for path in generate(SOURCE_ROOT):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
