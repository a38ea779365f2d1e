import pytest

from bank import InsufficientFunds, Ledger, UnknownAccount


def test_an_unknown_target_changes_nothing():
    ledger = Ledger({"ann": 500})
    with pytest.raises(UnknownAccount):
        ledger.transfer("ann", "zed", 100)
    assert ledger.balances == {"ann": 500}


def test_too_much_changes_nothing():
    ledger = Ledger({"ann": 50, "bob": 0})
    with pytest.raises(InsufficientFunds):
        ledger.transfer("ann", "bob", 100)
    assert ledger.balances == {"ann": 50, "bob": 0}


def test_a_failed_withdrawal_changes_nothing():
    ledger = Ledger({"ann": 50})
    with pytest.raises(InsufficientFunds):
        ledger.withdraw("ann", 60)
    assert ledger.balances == {"ann": 50}


@pytest.mark.parametrize("amount", [0, -5])
def test_amounts_must_be_positive(amount):
    ledger = Ledger({"ann": 50, "bob": 0})
    with pytest.raises(ValueError):
        ledger.transfer("ann", "bob", amount)
    assert ledger.balances == {"ann": 50, "bob": 0}


def test_the_whole_balance_can_move():
    ledger = Ledger({"ann": 50, "bob": 0})
    ledger.transfer("ann", "bob", 50)
    assert ledger.balances == {"ann": 0, "bob": 50}
