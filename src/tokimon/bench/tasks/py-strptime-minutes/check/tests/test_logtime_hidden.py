from datetime import datetime, timezone

import pytest

from logtime import minutes_between, parse_stamp


def test_minutes_are_minutes():
    assert parse_stamp("2024-03-05 14:07") == datetime(2024, 3, 5, 14, 7, tzinfo=timezone.utc)


def test_iso_with_z():
    assert parse_stamp("2024-03-05T14:07:09Z") == datetime(
        2024, 3, 5, 14, 7, 9, tzinfo=timezone.utc
    )


def test_results_are_aware_utc():
    assert parse_stamp("2024-03-05 14:07").utcoffset().total_seconds() == 0


def test_minutes_between_forms():
    assert minutes_between("2024-03-05 23:50", "2024-03-06T00:20:00Z") == 30


def test_garbage_is_a_value_error():
    with pytest.raises(ValueError):
        parse_stamp("yesterday")
