"""Judged by the number of requests to the pricing service, never by the clock."""

from collections import Counter

import pytest

from fares import cheapest_trip


class TooManyRequests(Exception):
    pass


def priced(table, limit=1000):
    """A pricing service that counts requests and stops answering after ``limit``."""
    calls = Counter()

    def leg_price(i, j):
        calls[(i, j)] += 1
        if sum(calls.values()) > limit:
            raise TooManyRequests(f"more than {limit} requests")
        return table(i, j)

    return leg_price, calls


def varied(i, j):
    return (i * 7 + j * 3) % 11 + (2 if j - i == 2 else 0)


def reference(stops, price):
    best = [0] * stops
    for i in range(stops - 2, -1, -1):
        best[i] = price(i, i + 1) + best[i + 1]
        if i + 2 < stops:
            best[i] = min(best[i], price(i, i + 2) + best[i + 2])
    return best[0]


@pytest.mark.parametrize("stops", [1, 2, 5, 12, 60])
def test_each_leg_is_priced_at_most_once(stops):
    leg_price, calls = priced(varied)
    assert cheapest_trip(stops, leg_price) == reference(stops, varied)
    assert not calls or max(calls.values()) == 1
    assert sum(calls.values()) <= 2 * stops


def test_a_second_trip_asks_again():
    leg_price, calls = priced(varied)
    cheapest_trip(6, leg_price)
    cheapest_trip(6, leg_price)
    assert max(calls.values()) == 2  # prices may change between trips


def test_no_stops_is_refused():
    with pytest.raises(ValueError):
        cheapest_trip(0, varied)
