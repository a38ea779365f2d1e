import pytest

from windows import windows


def test_a_window_as_long_as_the_items():
    assert windows("abc", 3) == ["abc"]


def test_too_short_gives_nothing():
    assert windows([1], 2) == []


def test_size_one():
    assert windows([1, 2], 1) == [[1], [2]]


def test_size_zero_is_refused():
    with pytest.raises(ValueError):
        windows([1], 0)
