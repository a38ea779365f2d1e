from bank import Ledger


def test_a_transfer_moves_money():
    ledger = Ledger({"ann": 500, "bob": 0})
    ledger.transfer("ann", "bob", 200)
    assert ledger.balances == {"ann": 300, "bob": 200}
