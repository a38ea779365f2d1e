import pytest

from pager import page, page_count


def test_a_partial_last_page_counts():
    assert page_count(25, 10) == 3
    assert page_count(1, 10) == 1


def test_no_items_no_pages():
    assert page_count(0, 10) == 0
    with pytest.raises(IndexError):
        page([], 1, 10)


def test_the_last_page_holds_the_rest():
    assert page(list(range(25)), 3, 10) == [20, 21, 22, 23, 24]


def test_past_the_end_is_refused():
    with pytest.raises(IndexError):
        page(list(range(25)), 4, 10)


def test_every_item_is_on_exactly_one_page():
    items = list(range(37))
    seen = [x for n in range(1, page_count(37, 5) + 1) for x in page(items, n, 5)]
    assert seen == items
