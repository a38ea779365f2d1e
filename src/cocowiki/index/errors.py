"""The one error indexing raises: a problem with the request, not with the repository's files.

Problems with individual files (binary, bad UTF-8, syntax errors) never raise; they are
counted in the result. ``IndexingError`` carries a message fit to show a user as it is.
"""

from __future__ import annotations

from ..errors import CocowikiError


class IndexingError(CocowikiError):
    """The repository cannot be indexed at all (missing path, not a directory, unwritable)."""
