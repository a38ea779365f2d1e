"""Timestamps of the service's log lines."""

from datetime import datetime


def parse_stamp(text):
    """A log timestamp as an aware UTC datetime.

    Two forms occur: '2024-03-05 14:07' (UTC, minutes) and '2024-03-05T14:07:09Z'.
    """
    return datetime.strptime(text, "%Y-%m-%d %H:%m")


def minutes_between(a, b):
    """Whole minutes from stamp ``a`` to stamp ``b``."""
    return int((parse_stamp(b) - parse_stamp(a)).total_seconds() // 60)
