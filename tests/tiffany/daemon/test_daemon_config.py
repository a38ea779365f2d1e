"""The TOML config: what is accepted, and that every mistake is named where it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from daemon_helpers import AGENTS, config_text

from tiffany import Priority, Restart
from tiffany.daemon.config import ConfigError, digest_of, load_config, parse_config


def test_a_full_config_is_parsed_with_defaults_and_entry_points_resolved() -> None:
    config = parse_config(config_text("grace = 2.5\nmax_running = 7").encode())
    assert config.daemon.grace == 2.5
    assert config.daemon.max_running == 7
    assert config.daemon.keep_finished == 1000, "unset settings keep their defaults"
    echo = config.agents["echo"]
    assert echo.function.__name__ == "echo"
    assert echo.description == "returns its arguments"
    assert echo.priority is Priority.NORMAL
    assert config.agents["add"].args == {"b": 100}
    assert config.agents["flaky"].restart == Restart(max_restarts=5, within=60.0, backoff=0.01)
    spin = config.agents["spin"].budget
    assert spin is not None and spin.action == "cancel" and spin.build().seconds == 0.001


def test_the_digest_is_of_the_file_bytes(tmp_path: Path) -> None:
    data = config_text().encode()
    path = tmp_path / "c.toml"
    path.write_bytes(data)
    assert load_config(path).digest == digest_of(data)
    path.write_bytes(data + b"\n# a comment changes the digest\n")
    assert load_config(path).digest != digest_of(data)


def test_no_config_means_no_agents() -> None:
    config = load_config(None)
    assert dict(config.agents) == {}
    assert config.daemon.grace == 10.0


@pytest.mark.parametrize(
    ("agents", "message"),
    [
        ('[agents.x]\nentry = "nocolon"', "agents.x.entry must be 'module:function'"),
        ('[agents.x]\nentry = "no_such_module_zz:f"', "cannot import module 'no_such_module_zz'"),
        ('[agents.x]\nentry = "daemon_test_agents:nope"', "has no 'nope'"),
        ('[agents.x]\nentry = "daemon_test_agents:not_async"', "is not an async function"),
        (
            '[agents.x]\nentry = "daemon_test_agents:echo"\nprioirty = "HIGH"',
            "unknown key 'prioirty'",
        ),
        (
            '[agents.x]\nentry = "daemon_test_agents:echo"\npriority = "URGENT"',
            "agents.x.priority must be one of CRITICAL, HIGH, NORMAL, LOW, IDLE",
        ),
        (
            '[agents.x]\nentry = "daemon_test_agents:echo"\nrestart = { tries = 3 }',
            "agents.x.restart: unknown key 'tries'",
        ),
        (
            '[agents.x]\nentry = "daemon_test_agents:echo"\nbudget = { per = 1.0 }',
            "agents.x.budget.seconds is required",
        ),
        (
            '[agents.x]\nentry = "daemon_test_agents:echo"\nbudget = { seconds = 1, action = "x" }',
            "action must be one of demote, throttle, cancel",
        ),
        (
            '[agents.x]\nentry = "daemon_test_agents:add"\nargs = { c = 1 }',
            "agents.x.args do not fit add(a: 'int', b: 'int' = 0)",
        ),
        ('[agents."bad name!"]\nentry = "daemon_test_agents:echo"', "an agent name is"),
        ("[agents]\nx = 3", "agents.x must be a table"),
        ("[agentz.x]", "unknown key 'agentz'"),
        ("this is = not toml [", "not valid TOML"),
    ],
)
def test_mistakes_are_reported_with_their_place(agents: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(agents.encode(), Path("/etc/tiffany.toml"))
    assert message in str(caught.value)
    assert str(caught.value).startswith("/etc/tiffany.toml")


@pytest.mark.parametrize(
    ("daemon", "message"),
    [
        ("grace = -1", "daemon.grace must be above 0"),
        ("max_running = 1.5", "daemon.max_running must be a whole number"),
        ('max_running = "many"', "daemon.max_running must be a number"),
        ("max_body_bytes = 0", "daemon.max_body_bytes must be above 0"),
        ("typo = 1", "[daemon]: unknown key 'typo'"),
        ("python_path = 3", "daemon.python_path must be a list"),
    ],
)
def test_daemon_settings_are_checked(daemon: str, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        parse_config(config_text(daemon, "").encode())
    assert message in str(caught.value)


def test_python_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    package = tmp_path / "my_agents_dir"
    package.mkdir()
    (package / "config_path_agents_zz.py").write_text(
        "async def hello() -> str:\n    return 'hi'\n"
    )
    path = tmp_path / "c.toml"
    path.write_text(
        '[daemon]\npython_path = ["my_agents_dir"]\n'
        '[agents.hello]\nentry = "config_path_agents_zz:hello"\n'
    )
    assert load_config(path).agents["hello"].function.__name__ == "hello"


def test_an_unreadable_config_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config"):
        load_config(tmp_path / "missing.toml")


def test_agents_describe_themselves() -> None:
    described = parse_config(config_text(agents=AGENTS).encode()).agents["add"].describe()
    assert described["signature"] == "add(a: 'int', b: 'int' = 0) -> 'int'"
    assert described["args"] == {"b": 100}
