import pytest
import tiffany

from inventory import Inventory, OutOfStock


def run(main):
    return tiffany.run(main, clock=tiffany.VirtualClock(autojump=True))


def test_a_reservation_takes_stock():
    inventory = Inventory({"mug": 3})

    async def main():
        await inventory.reserve("mug", 2)

    run(main)
    assert inventory.stock == {"mug": 1}
    assert inventory.audit_log == [("mug", 2)]


def test_too_many_is_refused():
    inventory = Inventory({"mug": 1})

    async def main():
        with pytest.raises(OutOfStock):
            await inventory.reserve("mug", 2)

    run(main)
    assert inventory.stock == {"mug": 1}
