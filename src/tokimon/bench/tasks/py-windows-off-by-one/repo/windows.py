"""Sliding windows over a sequence."""


def windows(items, size):
    """Every run of ``size`` consecutive items, in order."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [items[i : i + size] for i in range(len(items) - size)]
