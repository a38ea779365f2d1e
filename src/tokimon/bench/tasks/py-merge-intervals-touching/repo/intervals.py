"""Closed-open intervals [start, end) of hours, as (start, end) tuples."""


def merge(intervals):
    """The union of ``intervals`` as a sorted list of disjoint intervals."""
    merged = []
    for start, end in intervals:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
