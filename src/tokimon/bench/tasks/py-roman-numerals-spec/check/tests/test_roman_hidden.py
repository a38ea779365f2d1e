import pytest

from roman import from_roman, to_roman


@pytest.mark.parametrize(
    "number, numeral",
    [(1, "I"), (4, "IV"), (9, "IX"), (14, "XIV"), (40, "XL"), (90, "XC"), (400, "CD"),
     (944, "CMXLIV"), (1994, "MCMXCIV"), (2024, "MMXXIV"), (3999, "MMMCMXCIX")],
)
def test_known_numerals(number, numeral):
    assert to_roman(number) == numeral
    assert from_roman(numeral) == number


def test_round_trip_over_the_whole_range():
    for number in range(1, 4000):
        assert from_roman(to_roman(number)) == number


@pytest.mark.parametrize("bad", [0, -1, 4000, 2.5, "12", True])
def test_numbers_out_of_range_are_refused(bad):
    with pytest.raises(ValueError):
        to_roman(bad)


@pytest.mark.parametrize("bad", ["", "IIII", "VX", "IC", "mcm", "MMMM", "XIIV", "ABC", "VV"])
def test_malformed_numerals_are_refused(bad):
    with pytest.raises(ValueError):
        from_roman(bad)
