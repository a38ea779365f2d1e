"""apply_patch: unified diffs on real files, every file or none."""

from __future__ import annotations

from pathlib import Path

import pytest
from tools_fixtures import call, write_files

from tokimon.tools import Toolset

DATES = "".join(f"line {n}\n" for n in range(1, 21))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_files(
        tmp_path / "repo",
        {"src/dates.py": DATES, "src/util.py": "a\nb\nc\n", "old.txt": "bye\n"},
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_a_patch_over_several_files_with_new_and_deleted_files(repo: Path) -> None:
    patch = """diff --git a/src/dates.py b/src/dates.py
--- a/src/dates.py
+++ b/src/dates.py
@@ -2,3 +2,3 @@
 line 2
-line 3
+LINE THREE
 line 4
@@ -15,3 +15,4 @@
 line 15
+line 15.5
 line 16
 line 17
--- /dev/null
+++ b/docs/new.md
@@ -0,0 +1,2 @@
+# New
+text
diff --git a/old.txt b/old.txt
deleted file mode 100644
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
"""
    execution = call(Toolset(repo), "apply_patch", patch=patch)
    assert not execution.result.is_error, execution.result.content
    assert execution.result.content.splitlines() == [
        "applied the patch to 3 file(s):",
        "  M src/dates.py (+2 -1)",
        "  A docs/new.md (+2)",
        "  D old.txt (-1)",
    ]
    expected = DATES.replace("line 3\n", "LINE THREE\n").replace(
        "line 15\n", "line 15\nline 15.5\n"
    )
    assert (repo / "src/dates.py").read_text() == expected
    assert (repo / "docs/new.md").read_text() == "# New\ntext\n"
    assert not (repo / "old.txt").exists()
    assert [f["change"] for f in execution.data["files"]] == ["modified", "added", "deleted"]


def test_a_hunk_that_does_not_apply_changes_no_file_and_says_where(repo: Path) -> None:
    before = snapshot(repo)
    patch = """--- a/src/util.py
+++ b/src/util.py
@@ -1,3 +1,3 @@
 a
-b
+B
 c
--- a/src/dates.py
+++ b/src/dates.py
@@ -1,2 +1,3 @@
 line 1
 line 2
+inserted
@@ -8,3 +9,3 @@ def parse():
 line 8
-line 99
+line nine
 line 10
"""
    result = call(Toolset(repo), "apply_patch", patch=patch).result
    assert result.is_error
    assert "hunk 2 of 'src/dates.py' does not apply" in result.content
    assert "@@ -8,3 +9,3 @@ def parse():" in result.content
    assert "line 2 of the hunk is 'line 99' where the file (line 9) has 'line 9'" in result.content
    assert snapshot(repo) == before  # not even src/util.py, whose hunk was fine


def test_hunks_are_found_when_the_file_moved_and_counts_are_wrong(repo: Path) -> None:
    (repo / "src/dates.py").write_text("header\nheader\nheader\n" + DATES)
    # the header's line numbers are 3 off, and its counts are wrong (models do this)
    patch = """--- a/src/dates.py
+++ b/src/dates.py
@@ -5,9 +5,1 @@
 line 5
-line 6
+line six
+line six and a half
 line 7
"""
    execution = call(Toolset(repo), "apply_patch", patch=patch)
    assert not execution.result.is_error, execution.result.content
    text = (repo / "src/dates.py").read_text()
    assert "line 5\nline six\nline six and a half\nline 7\n" in text
    assert "hunk 1 of src/dates.py applied at line 8, not 5" in execution.result.content


def test_trailing_whitespace_crlf_and_missing_final_newline(repo: Path) -> None:
    (repo / "win.txt").write_bytes(b"one\r\ntwo  \r\nthree\r\n")
    (repo / "tail.txt").write_bytes(b"alpha\nomega")
    patch = """--- a/win.txt
+++ b/win.txt
@@ -1,3 +1,3 @@
 one
-two
+2
 three
--- a/tail.txt
+++ b/tail.txt
@@ -1,2 +1,2 @@
 alpha
-omega
\\ No newline at end of file
+OMEGA
\\ No newline at end of file
"""
    execution = call(Toolset(repo), "apply_patch", patch=patch)
    assert not execution.result.is_error, execution.result.content
    assert (repo / "win.txt").read_bytes() == b"one\r\n2\r\nthree\r\n"
    assert (repo / "tail.txt").read_bytes() == b"alpha\nOMEGA"
    assert "matched ignoring trailing whitespace" in execution.result.content


def test_a_rename_with_a_change(repo: Path) -> None:
    patch = """diff --git a/src/util.py b/src/helpers.py
similarity index 80%
rename from src/util.py
rename to src/helpers.py
--- a/src/util.py
+++ b/src/helpers.py
@@ -1,3 +1,3 @@
 a
-b
+bee
 c
"""
    execution = call(Toolset(repo), "apply_patch", patch=patch)
    assert "R src/util.py -> src/helpers.py (+1 -1)" in execution.result.content
    assert not (repo / "src/util.py").exists()
    assert (repo / "src/helpers.py").read_text() == "a\nbee\nc\n"


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("", "the patch is empty"),
        ("just some words\n", "the patch names no file to change"),
        (
            "--- /dev/null\n+++ b/src/util.py\n@@ -0,0 +1 @@\n+x\n",
            "creates 'src/util.py', which already exists",
        ),
        ("--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-a\n+b\n", "'nope.py' does not exist"),
        (
            "--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-something else\n",
            "its first line 'something else' is not in the file",
        ),
    ],
)
def test_bad_patches_are_errors_for_the_model(repo: Path, patch: str, message: str) -> None:
    before = snapshot(repo)
    result = call(Toolset(repo), "apply_patch", patch=patch).result
    assert result.is_error
    assert message in result.content
    assert snapshot(repo) == before
