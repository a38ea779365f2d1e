from roman import from_roman, to_roman


def test_small_numbers():
    assert to_roman(3) == "III"
    assert from_roman("VIII") == 8
