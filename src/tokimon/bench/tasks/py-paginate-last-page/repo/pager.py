"""Split a list of results into numbered pages (the first page is 1)."""


def page_count(total, per_page):
    """How many pages ``total`` items take at ``per_page`` a page (0 items: 0 pages)."""
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    return total // per_page


def page(items, number, per_page):
    """The items on page ``number``; IndexError for a page that does not exist."""
    pages = page_count(len(items), per_page)
    if number < 1 or number > pages:
        raise IndexError(f"page {number} of {pages}")
    start = (number - 1) * per_page
    return items[start : start + per_page]
