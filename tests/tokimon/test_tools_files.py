"""read_file, write_file and list_dir on real files, through a real toolset."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from tools_fixtures import call, write_files

from tiffany.atomic import temporaries_of
from tokimon.tools import ToolConfig, Toolset


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_files(
        tmp_path / "repo",
        {
            "src/app.py": "".join(f"line {n}\n" for n in range(1, 11)),
            "src/pkg/__init__.py": "",
            "data.bin": b"\x89PNG\r\n\x1a\n\0\0\0",
            "empty.txt": "",
        },
    )


def test_read_file_returns_the_text_and_line_ranges(repo: Path) -> None:
    toolset = Toolset(repo)
    whole = call(toolset, "read_file", path="src/app.py")
    assert not whole.result.is_error
    assert whole.result.content == (repo / "src/app.py").read_text()
    assert whole.data["lines"] == 10
    part = call(toolset, "read_file", path="src/app.py", start_line=3, end_line=4)
    assert part.result.content == "line 3\nline 4\n"
    assert call(toolset, "read_file", path="empty.txt").result.content == "(the file is empty)\n"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"path": "src/missing.py"}, "'src/missing.py' does not exist; list_dir('src')"),
        ({"path": "src"}, "is a directory; use list_dir"),
        ({"path": "data.bin"}, "is a binary file"),
        ({"path": "src/app.py", "start_line": 11}, "has 10 lines; start_line 11 is past them"),
        ({"path": "src/app.py", "start_line": 5, "end_line": 2}, "end_line 2 is before"),
    ],
)
def test_read_file_errors_say_what_to_do(
    repo: Path, arguments: dict[str, object], message: str
) -> None:
    result = call(Toolset(repo), "read_file", **arguments).result
    assert result.is_error
    assert message in result.content


def test_a_long_file_is_cut_with_a_marker_and_where_to_continue(repo: Path) -> None:
    (repo / "big.txt").write_text("".join(f"{n:05d} {'x' * 94}\n" for n in range(1, 2001)))
    toolset = Toolset(repo, ToolConfig(max_output_bytes=4000))
    execution = call(toolset, "read_file", path="big.txt")
    content = execution.result.content
    assert len(content.encode()) <= 4000
    assert content.startswith("00001 ")
    shown = execution.data["end_line"]
    assert 30 < shown < 40
    assert f"[truncated: {(2000 - shown) * 101:,} more bytes]" in content
    assert f"continue with start_line={shown + 1}" in content
    following = call(toolset, "read_file", path="big.txt", start_line=shown + 1)
    assert following.result.content.startswith(f"{shown + 1:05d} ")


def test_write_file_creates_and_replaces_atomically_keeping_the_mode(repo: Path) -> None:
    toolset = Toolset(repo)
    created = call(toolset, "write_file", path="new/dir/notes.md", content="# Notes\nhi\n")
    assert not created.result.is_error
    assert created.result.content == "wrote 11 bytes (2 lines) to new/dir/notes.md (new file)"
    assert (repo / "new/dir/notes.md").read_text() == "# Notes\nhi\n"

    script = repo / "run.sh"
    script.write_text("echo old\n")
    script.chmod(0o755)
    replaced = call(toolset, "write_file", path="run.sh", content="echo new\n")
    assert "replaced 9 bytes" in replaced.result.content
    assert script.read_text() == "echo new\n"
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert temporaries_of(script) == []


def test_write_file_refuses_directories_and_git_internals(repo: Path) -> None:
    (repo / ".git").mkdir()
    toolset = Toolset(repo)
    assert "is a directory" in call(toolset, "write_file", path="src", content="").result.content
    refused = call(toolset, "write_file", path=".git/config", content="")
    assert refused.result.is_error and "inside .git/" in refused.result.content
    assert not (repo / ".git/config").exists()


def test_list_dir_shows_kinds_sizes_and_links(repo: Path, tmp_path: Path) -> None:
    os.symlink(tmp_path, repo / "escape")
    os.symlink(repo / "src", repo / "alias")
    toolset = Toolset(repo)
    listing = call(toolset, "list_dir").result.content
    assert listing.splitlines() == [
        "./",
        "src/",
        "alias -> " + str(repo / "src"),
        "data.bin  11 bytes",
        "empty.txt  0 bytes",
        f"escape -> {tmp_path} (outside the repository)",
    ]
    deep = call(toolset, "list_dir", path="src", depth=2).result.content
    assert deep.splitlines() == ["src/", "pkg/", "  __init__.py  0 bytes", "app.py  71 bytes"]
    assert "is a file; use read_file" in call(toolset, "list_dir", path="data.bin").result.content
