"""Invoice totals."""

from decimal import ROUND_HALF_UP, Decimal


def line_total(unit_price, quantity, discount=Decimal("0")):
    """The price of one invoice line after its discount (a fraction), in whole cents."""
    amount = Decimal(unit_price) * quantity * (1 - Decimal(discount))
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def invoice_total(lines):
    """The sum of ``(unit_price, quantity, discount)`` lines."""
    return sum((line_total(*line) for line in lines), Decimal("0.00"))
