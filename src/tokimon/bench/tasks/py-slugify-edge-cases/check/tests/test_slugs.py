from slugs import slugify


def test_words_are_joined_by_dashes():
    assert slugify("Hello World") == "hello-world"


def test_digits_stay():
    assert slugify("Top 10 tips") == "top-10-tips"
