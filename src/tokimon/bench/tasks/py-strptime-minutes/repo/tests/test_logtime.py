from logtime import parse_stamp


def test_the_date_is_read():
    stamp = parse_stamp("2024-07-05 14:07")
    assert (stamp.year, stamp.day) == (2024, 5)
