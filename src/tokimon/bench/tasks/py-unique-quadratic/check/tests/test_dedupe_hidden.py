"""Judged by how many comparisons unique() makes, never by the clock."""

from dedupe import unique


class Record:
    """A hashable record that counts the equality checks made on it."""

    comparisons = 0

    def __init__(self, key):
        self.key = key

    def __eq__(self, other):
        Record.comparisons += 1
        return isinstance(other, Record) and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    def __repr__(self):
        return f"Record({self.key})"


def test_comparisons_grow_linearly():
    n = 1500
    records = [Record(i % (n // 2)) for i in range(n)]
    Record.comparisons = 0
    result = unique(records)
    assert [r.key for r in result] == list(range(n // 2))
    assert all(a is b for a, b in zip(result, records))  # the first occurrences themselves
    assert Record.comparisons <= 2 * n, f"{Record.comparisons} comparisons for {n} records"


def test_does_not_consume_twice():
    assert unique(iter("abracadabra")) == ["a", "b", "r", "c", "d"]
