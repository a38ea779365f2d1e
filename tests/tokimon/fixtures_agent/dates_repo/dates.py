"""Calendar dates written as YYYY-MM-DD."""

DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def parse(text):
    """The date as (year, month, day), or None when it is not a real date."""
    year, month, day = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12:
        return None
    if not 1 <= day <= 31:
        return None
    return year, month, day
