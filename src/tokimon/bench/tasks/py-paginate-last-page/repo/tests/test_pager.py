import pytest

from pager import page, page_count


def test_exact_pages():
    assert page_count(20, 10) == 2
    assert page(list(range(20)), 2, 10) == list(range(10, 20))


def test_page_zero_does_not_exist():
    with pytest.raises(IndexError):
        page([1, 2, 3], 0, 2)
