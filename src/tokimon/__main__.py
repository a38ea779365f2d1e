"""``python -m tokimon``: the same as the ``tokimon`` command."""

from .cli import main

main()
