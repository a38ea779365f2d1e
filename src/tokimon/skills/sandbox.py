"""How skill code is run apart from the agent: a subprocess, a time limit, no secrets.

Every call of a skill, every import probe and every test run of a skill is a fresh
Python process (:mod:`.host`, or pytest) in the repository (or the skill's folder, for
its tests), its whole process group killed at the time limit. Its environment is the
agent's minus anything that looks like a credential (:func:`clean_environment`: API keys,
tokens, passwords, cloud and provider settings), so a skill cannot spend the model's key
or push with the user's token; ``PYTHONPATH`` gains the folder tokimon is imported from,
so ``from tokimon.skills import SkillContext`` works in a skill and in its tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..tools.process import ProcessResult, run_process

#: Variables never passed to skill code: anything naming a secret, and whole families of
#: provider and cloud settings.
SECRET_WORDS = re.compile(
    r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|SIGNING", re.IGNORECASE
)
SECRET_PREFIXES = (
    "AWS_",
    "AZURE_",
    "GOOGLE_",
    "GCLOUD_",
    "GCP_",
    "OPENAI_",
    "ANTHROPIC_",
    "HF_",
    "HUGGING",
    "GITHUB_",
    "GH_",
    "GITLAB_",
    "NPM_CONFIG_",
    "PIP_INDEX",
    "TWINE_",
    "DOCKER_",
    "SSH_",
    "GPG_",
    "TOKIMON_",
)
SOURCE_ROOT = Path(__file__).resolve().parents[2]
"""The folder the ``tokimon`` package is imported from."""


def clean_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) without credentials, set up for skill code."""
    source = os.environ if env is None else env
    kept = {
        name: value
        for name, value in source.items()
        if not SECRET_WORDS.search(name) and not name.upper().startswith(SECRET_PREFIXES)
    }
    paths = [str(SOURCE_ROOT), *filter(None, kept.get("PYTHONPATH", "").split(os.pathsep))]
    kept["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    kept["PYTHONDONTWRITEBYTECODE"] = "1"
    kept["PYTHONUNBUFFERED"] = "1"
    return kept


def _request_files(request: Mapping[str, Any]) -> tuple[Path, Path, Path]:
    folder = Path(tempfile.mkdtemp(prefix="tokimon-skill-"))
    request_path, result_path = folder / "request.json", folder / "result.json"
    request_path.write_text(json.dumps(request), encoding="utf-8")
    return folder, request_path, result_path


def _host_argv(request_path: Path, result_path: Path) -> list[str]:
    return [sys.executable, "-m", "tokimon.skills.host", str(request_path), str(result_path)]


def _read_result(
    result_path: Path, process: ProcessResult | None, timeout: float
) -> dict[str, Any]:
    if process is not None and process.timed_out:
        return {
            "ok": False,
            "stage": "timeout",
            "error": f"stopped after its {round(timeout, 1):g} s limit",
        }
    try:
        result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        status = process.returncode if process is not None else "?"
        return {"ok": False, "stage": "host", "error": f"the skill process died (status {status})"}
    return result


async def call_in_subprocess(
    request: Mapping[str, Any], *, cwd: Path, timeout: float, max_output_bytes: int = 8000
) -> tuple[dict[str, Any], str]:
    """Run one host request (inside the kernel); the result and the process's output."""
    folder, request_path, result_path = _request_files(request)
    try:
        process = await run_process(
            _host_argv(request_path, result_path),
            cwd=cwd,
            timeout=timeout,
            max_output_bytes=max_output_bytes,
            env=clean_environment(),
        )
        return _read_result(result_path, process, timeout), process.output
    finally:
        _remove(folder)


def call_blocking(
    request: Mapping[str, Any], *, cwd: Path, timeout: float
) -> tuple[dict[str, Any], str]:
    """:func:`call_in_subprocess` for code outside the kernel (loading, the CLI)."""
    folder, request_path, result_path = _request_files(request)
    try:
        try:
            done = subprocess.run(
                _host_argv(request_path, result_path),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                env=clean_environment(),
                check=False,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired:
            return {"ok": False, "stage": "timeout", "error": f"stopped after {timeout:g} s"}, ""
        output = (done.stdout or "") + (done.stderr or "")
        if not result_path.exists():
            error = f"the skill process died (status {done.returncode}): {output[-2000:]}"
            return {"ok": False, "stage": "host", "error": error}, output
        return _read_result(result_path, None, timeout), output
    finally:
        _remove(folder)


def run_tests_blocking(
    folder: Path, tests: Sequence[str], *, cwd: Path | None = None, timeout: float = 120.0
) -> tuple[bool, str]:
    """Run a skill's test files with pytest in ``folder``; whether they passed, and the
    output (a run that collects no test does not pass)."""
    if not tests:
        return False, "the skill has no tests; a skill is registered only with passing tests"
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-c",
        os.devnull,  # no configuration of a surrounding project applies
        "--rootdir",
        str(folder),
        *tests,
    ]
    env = clean_environment()
    env["PYTHONPATH"] = os.pathsep.join([str(folder), env["PYTHONPATH"]])
    try:
        done = subprocess.run(
            argv,
            cwd=cwd or folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
            env=env,
            check=False,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        partial = exc.output if isinstance(exc.output, str) else ""
        return False, f"the tests did not finish within {timeout:g} s\n{partial[-4000:]}"
    return done.returncode == 0, done.stdout


def _remove(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink(missing_ok=True)
    folder.rmdir()
