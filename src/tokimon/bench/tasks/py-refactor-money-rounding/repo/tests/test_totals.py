from decimal import Decimal

from invoice import invoice_total, line_total
from receipt import receipt_lines, vat_of


def test_line_total_rounds_half_up():
    assert line_total("0.125", 1) == Decimal("0.13")
    assert line_total("10", 3, "0.1") == Decimal("27.00")


def test_invoice_total():
    assert invoice_total([("1.005", 2, "0"), ("2.50", 1, "0.5")]) == Decimal("3.26")


def test_vat():
    assert vat_of("12.00") == Decimal("2.00")
    assert vat_of("0.03") == Decimal("0.01")


def test_receipt():
    assert receipt_lines([("tea", "2.40")])[-1].endswith("0.40")
