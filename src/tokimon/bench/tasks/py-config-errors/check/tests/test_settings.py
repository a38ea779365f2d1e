import json

from settings import load_settings


def test_values_override_defaults(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"port": 9000}))
    settings = load_settings(path)
    assert settings["port"] == 9000 and settings["host"] == "127.0.0.1"
