import tiffany

from inventory import Inventory, OutOfStock


def run(main):
    return tiffany.run(main, clock=tiffany.VirtualClock(autojump=True))


def reserve_all(inventory, orders):
    """Every order at once, each in its own task; the outcome of each, by index."""
    outcomes = {}

    async def order(index, sku, quantity):
        try:
            await inventory.reserve(sku, quantity)
            outcomes[index] = "ok"
        except OutOfStock:
            outcomes[index] = "out"

    async def main():
        async with tiffany.TaskGroup() as group:
            for index, (sku, quantity) in enumerate(orders):
                await group.spawn(order, index, sku, quantity)

    run(main)
    return outcomes


def test_concurrent_orders_never_oversell():
    inventory = Inventory({"mug": 3})
    outcomes = reserve_all(inventory, [("mug", 1)] * 10)
    assert list(outcomes.values()).count("ok") == 3
    assert inventory.stock == {"mug": 0}
    assert len(inventory.audit_log) == 3


def test_mixed_quantities_add_up():
    inventory = Inventory({"mug": 5, "pen": 2})
    orders = [("mug", 2), ("pen", 1), ("mug", 2), ("mug", 2), ("pen", 1), ("pen", 1)]
    outcomes = reserve_all(inventory, orders)
    taken = {"mug": 0, "pen": 0}
    for index, outcome in outcomes.items():
        if outcome == "ok":
            taken[orders[index][0]] += orders[index][1]
    assert taken == {"mug": 4, "pen": 2}
    assert inventory.stock == {"mug": 1, "pen": 0}
    assert sorted(inventory.audit_log) == sorted(
        orders[i] for i, outcome in outcomes.items() if outcome == "ok"
    )


def test_an_unknown_sku_is_out_of_stock():
    assert reserve_all(Inventory({}), [("hat", 1)]) == {0: "out"}
