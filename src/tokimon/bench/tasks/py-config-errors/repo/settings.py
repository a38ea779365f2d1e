"""The service's settings, read from a JSON file."""

import json

DEFAULTS = {"host": "127.0.0.1", "port": 8080, "debug": False}


class SettingsError(Exception):
    """The settings file cannot be used; the message says why."""


def load_settings(path):
    """The settings in ``path`` over the defaults."""
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    settings = dict(DEFAULTS)
    settings.update(data)
    return settings
