"""Dropping repeated records."""


def unique(items):
    """The items without repeats, each kept where it first occurs."""
    kept = []
    for item in items:
        if item not in kept:
            kept.append(item)
    return kept
