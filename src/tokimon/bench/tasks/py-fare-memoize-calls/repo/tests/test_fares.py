from fares import cheapest_trip


def flat(i, j):
    return 3 if j - i == 1 else 5


def test_short_routes():
    assert cheapest_trip(1, flat) == 0
    assert cheapest_trip(2, flat) == 3
    assert cheapest_trip(3, flat) == 5
    assert cheapest_trip(4, flat) == 8
