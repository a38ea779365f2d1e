"""A tiny in-memory ledger of account balances, in cents."""


class InsufficientFunds(Exception):
    pass


class UnknownAccount(KeyError):
    pass


class Ledger:
    def __init__(self, balances):
        self.balances = dict(balances)

    def _account(self, name):
        if name not in self.balances:
            raise UnknownAccount(name)
        return name

    def withdraw(self, name, amount):
        self.balances[self._account(name)] -= amount
        if self.balances[name] < 0:
            raise InsufficientFunds(f"{name} cannot pay {amount}")

    def deposit(self, name, amount):
        self.balances[self._account(name)] += amount

    def transfer(self, source, target, amount):
        """Move ``amount`` cents from ``source`` to ``target``."""
        self.withdraw(source, amount)
        self.deposit(target, amount)
