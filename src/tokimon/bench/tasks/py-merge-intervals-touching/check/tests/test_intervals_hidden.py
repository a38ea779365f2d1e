from intervals import merge


def test_touching_intervals_join():
    assert merge([(9, 10), (10, 11)]) == [(9, 11)]


def test_order_of_input_does_not_matter():
    assert merge([(5, 6), (1, 3), (2, 4)]) == [(1, 4), (5, 6)]


def test_an_interval_inside_another_is_absorbed():
    assert merge([(1, 10), (2, 3)]) == [(1, 10)]
    assert merge([(2, 3), (1, 10), (4, 12)]) == [(1, 12)]


def test_empty_and_single():
    assert merge([]) == []
    assert merge([(3, 4)]) == [(3, 4)]


def test_input_is_not_changed():
    given = [(5, 6), (1, 2)]
    merge(given)
    assert given == [(5, 6), (1, 2)]
