"""Till receipts."""

from decimal import ROUND_HALF_UP, Decimal

VAT = Decimal("0.2")


def vat_of(gross):
    """The VAT contained in a gross amount, in whole cents."""
    amount = Decimal(gross) * VAT / (1 + VAT)
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def receipt_lines(items):
    """(name, price) pairs as printed lines, then the VAT line."""
    lines = [f"{name:<20}{Decimal(price):>8.2f}" for name, price in items]
    total = sum((Decimal(price) for _, price in items), Decimal("0"))
    lines.append(f"{'of which VAT':<20}{vat_of(total):>8}")
    return lines
