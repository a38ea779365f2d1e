"""Stock reservations for the shop, on the tiffany kernel."""

import tiffany


class OutOfStock(Exception):
    pass


class Inventory:
    def __init__(self, stock, audit_delay=0.01):
        self.stock = dict(stock)
        self.audit_delay = audit_delay
        self.audit_log = []

    async def _audit(self, sku, quantity):
        """Record the reservation in the audit service (a network call in production)."""
        await tiffany.sleep(self.audit_delay)
        self.audit_log.append((sku, quantity))

    async def reserve(self, sku, quantity):
        """Take ``quantity`` of ``sku`` out of stock; OutOfStock if there is not enough."""
        available = self.stock.get(sku, 0)
        if available < quantity:
            raise OutOfStock(f"{sku}: {available} left, {quantity} asked")
        await self._audit(sku, quantity)
        self.stock[sku] = available - quantity
