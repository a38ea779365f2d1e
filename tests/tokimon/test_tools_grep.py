"""grep over real repositories: gitignore-aware in a checkout, bounded, binary-safe."""

from __future__ import annotations

from pathlib import Path

from tools_fixtures import call, git_repo, write_files

from tokimon.tools import ToolConfig, Toolset

FILES: dict[str, str | bytes] = {
    ".gitignore": "build/\n*.log\n",
    "src/app.py": "def parse_date(text):\n    return text\n\ndef parse_time(t):\n    pass\n",
    "src/notes.md": "parse_date is documented here\n",
    "build/out.py": "def parse_date(): ...\n",
    "debug.log": "parse_date failed\n",
    "image.png": b"\x89PNG\0\0parse_date\0",
}


def test_grep_respects_gitignore_and_skips_binary_files(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", FILES)
    result = call(Toolset(repo), "grep", pattern=r"def parse_\w+").result
    assert not result.is_error
    assert result.content.splitlines() == [
        "src/app.py:1: def parse_date(text):",
        "src/app.py:4: def parse_time(t):",
    ]
    everything = call(Toolset(repo), "grep", pattern="parse_date").result.content
    assert "build/" not in everything and "debug.log" not in everything
    assert "image.png" not in everything


def test_grep_walks_a_plain_directory_skipping_vendored_and_cache_dirs(tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "plain",
        {
            "lib/a.py": "TODO: one\n",
            "node_modules/pkg/index.js": "// TODO: vendored\n",
            ".venv/lib/site.py": "# TODO: venv\n",
            "b.txt": "todo: lower case\n",
        },
    )
    toolset = Toolset(repo)
    assert call(toolset, "grep", pattern="TODO").result.content == "lib/a.py:1: TODO: one\n"
    folded = call(toolset, "grep", pattern="todo", ignore_case=True).result.content
    assert folded.splitlines() == ["b.txt:1: todo: lower case", "lib/a.py:1: TODO: one"]


def test_grep_narrows_by_path_and_glob(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", FILES)
    toolset = Toolset(repo)
    by_glob = call(toolset, "grep", pattern="parse_date", glob="*.md").result.content
    assert by_glob == "src/notes.md:1: parse_date is documented here\n"
    by_file = call(toolset, "grep", pattern="return", path="src/app.py").result.content
    assert by_file == "src/app.py:2:     return text\n"
    none = call(toolset, "grep", pattern="nothing_like_this", path="src").result
    assert not none.is_error
    assert none.content == "no matches for 'nothing_like_this' in 2 files\n"


def test_grep_output_is_bounded_and_the_cut_is_marked(tmp_path: Path) -> None:
    long_line = "x" * 1000 + "NEEDLE" + "y" * 1000
    repo = write_files(
        tmp_path / "repo",
        {"many.txt": "hit\n" * 50, "long.txt": long_line + "\n"},
    )
    config = ToolConfig(grep_max_matches=10, grep_max_line_chars=100)
    execution = call(Toolset(repo, config), "grep", pattern="hit")
    lines = execution.result.content.splitlines()
    assert lines[:10] == [f"many.txt:{n}: hit" for n in range(1, 11)]
    assert lines[10] == (
        "[truncated: stopped at 10 matches; narrow the pattern, the path or the glob]"
    )
    assert execution.data["complete"] is False
    cut = call(Toolset(repo, config), "grep", pattern="NEEDLE").result.content
    assert cut.startswith("long.txt:1: …" + "x" * 25 + "NEEDLE")
    assert cut.endswith("… [line cut: 2,006 chars]\n")


def test_an_invalid_pattern_is_an_error_the_model_can_fix(tmp_path: Path) -> None:
    repo = write_files(tmp_path / "repo", {"a.py": "f(x)\n"})
    result = call(Toolset(repo), "grep", pattern="f(x").result
    assert result.is_error
    assert "'f(x' is not a valid regular expression" in result.content
    assert "missing ), unterminated subpattern" in result.content


def test_files_over_the_size_limit_are_named_as_not_searched(tmp_path: Path) -> None:
    repo = write_files(tmp_path / "repo", {"small.txt": "hit\n", "huge.txt": "hit\n" * 600})
    content = call(Toolset(repo, ToolConfig(max_file_bytes=1024)), "grep", pattern="hit")
    assert content.result.content.splitlines() == [
        "small.txt:1: hit",
        "(1 files over 1,024 bytes were not searched)",
    ]
