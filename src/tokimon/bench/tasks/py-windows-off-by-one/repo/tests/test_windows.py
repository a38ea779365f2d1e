from windows import windows


def test_pairs():
    assert windows([1, 2, 3], 2) == [[1, 2], [2, 3]]
