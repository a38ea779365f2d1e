from dates import parse


def test_parse_splits_a_date():
    assert parse("2024-01-31") == (2024, 1, 31)


def test_parse_refuses_a_thirteenth_month():
    assert parse("2024-13-01") is None


def test_parse_knows_month_lengths():
    assert parse("2024-04-31") is None, "April has 30 days"
    assert parse("2023-02-29") is None, "2023 is not a leap year"
    assert parse("2024-02-29") == (2024, 2, 29)
