from intervals import merge


def test_overlapping_in_order():
    assert merge([(1, 3), (2, 4)]) == [(1, 4)]


def test_apart_stay_apart():
    assert merge([(1, 2), (5, 6)]) == [(1, 2), (5, 6)]
