from slugs import slugify


def test_no_dash_at_the_ends_and_no_doubles():
    assert slugify("  Hello,   World!  ") == "hello-world"
    assert slugify("--a--b--") == "a-b"


def test_accents_fold_to_their_letter():
    assert slugify("Crème brûlée") == "creme-brulee"
    assert slugify("Ångström Über") == "angstrom-uber"


def test_nothing_to_keep_gives_empty():
    assert slugify("") == ""
    assert slugify("!!! ???") == ""
    assert slugify("日本") == ""


def test_already_a_slug_is_unchanged():
    assert slugify("already-a-slug") == "already-a-slug"
