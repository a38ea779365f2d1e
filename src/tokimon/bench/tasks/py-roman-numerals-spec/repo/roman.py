"""Roman numerals, for chapter numbers."""


def to_roman(number):
    """The standard Roman numeral of ``number``, from 1 to 3999.

    Subtractive forms are used (4 is 'IV', 90 is 'XC', 900 is 'CM'); a symbol never
    repeats more than three times. ValueError for anything else, bool included.
    """
    raise NotImplementedError


def from_roman(numeral):
    """The number a standard Roman numeral stands for (upper case only).

    Only the forms ``to_roman`` produces are accepted: 'IIII', 'VX', 'IC', '' or
    'mcm' are ValueErrors, so ``to_roman(from_roman(s)) == s`` for every accepted s.
    """
    raise NotImplementedError
