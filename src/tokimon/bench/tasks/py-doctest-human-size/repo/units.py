"""Sizes for people to read."""

UNITS = ["B", "KiB", "MiB", "GiB", "TiB"]


def human_size(size):
    """``size`` bytes in the largest binary unit that keeps the number at least 1.

    One decimal is shown below 10 of a unit, none from 10 up; bytes are always whole.

    >>> human_size(0)
    '0 B'
    >>> human_size(1023)
    '1023 B'
    >>> human_size(1536)
    '1.5 KiB'
    >>> human_size(10 * 1024)
    '10 KiB'
    >>> human_size(5 * 1024**3 + 1)
    '5.0 GiB'
    >>> human_size(3 * 1024**5)
    '3072 TiB'
    """
    value = size
    unit = 0
    while value > 1024 and unit < len(UNITS):
        value /= 1024
        unit += 1
    return f"{value:.1f} {UNITS[unit]}"
