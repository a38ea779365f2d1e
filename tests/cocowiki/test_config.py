"""config.toml and `cw init`: the template round-trips, and every mistake names its fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cocowiki.config import (
    ConfigError,
    WikiConfig,
    WriterConfig,
    config_path,
    init_config,
    load_config,
    render_template,
)
from cocowiki.index import IndexConfig
from cocowiki.plan import PlanConfig


def cw(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cocowiki.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_template_loads_as_the_defaults(tmp_path: Path) -> None:
    init_config(tmp_path)
    assert config_path(tmp_path).read_text() == render_template()
    assert load_config(tmp_path) == WikiConfig()


def test_no_config_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == WikiConfig()


def test_settings_reach_the_stage_configs(tmp_path: Path) -> None:
    config_path(tmp_path).write_text(
        '[index]\ninclude = ["src/**"]\nlanguages = ["python", "rust"]\n'
        "max_file_bytes = 2048\nminified_whitespace_ratio = 1\n"
        '[plan]\nmax_tokens = 9000\n[writer]\nkind = "model"\nmodel = "openai:gpt-4o"\n'
    )
    config = load_config(tmp_path)
    assert config.index == IndexConfig(
        include=("src/**",),
        languages=("python", "rust"),
        max_file_bytes=2048,
        minified_whitespace_ratio=1,
    )
    assert config.plan == PlanConfig(max_tokens=9000)
    assert config.writer == WriterConfig(kind="model", model="openai:gpt-4o")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[index\n", "not valid TOML"),
        ("[indx]\n", "unknown section [indx]"),
        ('[index]\nlanguges = ["python"]\n', "unknown key 'languges'; keys are exclude"),
        ('[index]\nlanguages = ["cobol"]\n', "unknown language 'cobol'; supported: c, cpp"),
        ('[index]\nmax_file_bytes = "1MB"\n', "max_file_bytes: expected int"),
        ("[index]\nuse_git = 1\n", "use_git: expected bool"),
        ('[index]\ninclude = "src/**"\n', "include: expected a list of str"),
        ('[writer]\nkind = "magic"\n', "kind must be 'deterministic' or 'model'"),
        ('[writer]\nkind = "model"\n', "needs model = 'provider:model'"),
    ],
)
def test_a_bad_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    config_path(tmp_path).write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_config(tmp_path)


def test_cw_init_writes_once_and_index_reads_it(tmp_path: Path) -> None:
    (tmp_path / "keep.py").write_text("def kept() -> int:\n    return 1\n")
    (tmp_path / "skip.py").write_text("def skipped() -> int:\n    return 2\n")
    first = cw("init", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    path = tmp_path / ".cocowiki" / "config.toml"
    assert json.loads(first.stdout) == {"config": str(path)}

    second = cw("init", cwd=tmp_path)
    assert second.returncode == 2
    assert "already exists" in second.stderr and "--force" in second.stderr

    path.write_text('[index]\nexclude = ["skip.py"]\n')
    indexed = cw("index", "--json", cwd=tmp_path)
    assert indexed.returncode == 0, indexed.stderr
    summary = json.loads(indexed.stdout)
    assert summary["files"] == 1 and summary["exclusions"] == {"excluded_by_config": 1}


def test_cw_index_with_a_broken_config_exits_2_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / ".cocowiki").mkdir()
    (tmp_path / ".cocowiki" / "config.toml").write_text("[index]\nworkers = 'many'\n")
    result = cw("index", cwd=tmp_path)
    assert result.returncode == 2
    assert "workers: expected int" in result.stderr and "Traceback" not in result.stderr


def test_cw_plan_and_build_take_the_plan_section(tmp_path: Path) -> None:
    for name in ("alpha", "beta"):
        package = tmp_path / name
        package.mkdir()
        (package / "__init__.py").write_text(f'"""The {name} package."""\n')
        body = "".join(f"def {name}_{i}() -> int:\n    return {i}\n\n" for i in range(40))
        (package / "core.py").write_text(body)
    (tmp_path / ".cocowiki").mkdir()
    config = tmp_path / ".cocowiki" / "config.toml"

    config.write_text("[plan]\nmin_tokens = 100000\nmax_tokens = 200000\n")
    merged = cw("plan", "--json", cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout)["pages"] == 1

    config.write_text("[plan]\nmin_tokens = 10\n")
    built = cw("build", "--json", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    summary = json.loads(built.stdout)
    assert summary["pages"] == 3 and summary["unverified"] == 0
    assert (tmp_path / ".cocowiki" / "index.html").is_file()


def test_cw_serve_before_a_build_says_what_to_run(tmp_path: Path) -> None:
    result = cw("serve", "--port", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "run `cw build` first" in result.stderr
