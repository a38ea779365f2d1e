import json

import pytest

from settings import SettingsError, load_settings


def test_a_missing_file_is_a_settings_error_naming_it(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(SettingsError, match="nope.json") as caught:
        load_settings(path)
    assert isinstance(caught.value.__cause__, FileNotFoundError)


def test_bad_json_names_the_file_and_line(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{\n  "port": 9000,\n  "host": \n}\n')
    with pytest.raises(SettingsError, match=r"settings\.json\D.*\b4\b") as caught:
        load_settings(path)
    assert isinstance(caught.value.__cause__, json.JSONDecodeError)


@pytest.mark.parametrize("port", [0, 70000, "80", 8.5, None])
def test_a_bad_port_is_refused(tmp_path, port):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"port": port}))
    with pytest.raises(SettingsError, match="port"):
        load_settings(path)


def test_an_empty_object_is_all_defaults(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{}")
    assert load_settings(path) == {"host": "127.0.0.1", "port": 8080, "debug": False}
