import ast
from decimal import Decimal
from pathlib import Path

import pytest

from money import round_money

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "amount, rounded",
    [(Decimal("0.125"), "0.13"), (Decimal("0.124"), "0.12"), (Decimal("-0.125"), "-0.13"),
     (Decimal("2"), "2.00"), ("1.005", "1.01"), (3, "3.00")],
)
def test_round_money(amount, rounded):
    result = round_money(amount)
    assert isinstance(result, Decimal) and result == Decimal(rounded)
    assert str(result) == rounded


@pytest.mark.parametrize("module", ["invoice.py", "receipt.py"])
def test_the_modules_use_the_one_function(module):
    source = (ROOT / module).read_text()
    tree = ast.parse(source)
    from_money = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "money"
        and any(alias.name == "round_money" for alias in node.names)
        for node in ast.walk(tree)
    )
    money_module = any(
        isinstance(node, ast.Import) and any(alias.name == "money" for alias in node.names)
        for node in ast.walk(tree)
    ) and any(
        isinstance(node, ast.Attribute) and node.attr == "round_money" for node in ast.walk(tree)
    )
    assert from_money or money_module, f"{module} does not use money.round_money"
    assert "quantize" not in source and "ROUND_HALF_UP" not in source
