"""The cheapest way along a route of stops 0..n-1, riding one or two stops at a time."""


def cheapest_trip(stops, leg_price):
    """The lowest total price from stop 0 to stop ``stops - 1``.

    From stop i a ticket goes to i + 1 or i + 2; ``leg_price(i, j)`` is its price (a call
    to the pricing service). A route of one stop costs 0.
    """
    if stops < 1:
        raise ValueError("a route has at least one stop")

    def best_from(i):
        if i == stops - 1:
            return 0
        options = [leg_price(i, i + 1) + best_from(i + 1)]
        if i + 2 < stops:
            options.append(leg_price(i, i + 2) + best_from(i + 2))
        return min(options)

    return best_from(0)
