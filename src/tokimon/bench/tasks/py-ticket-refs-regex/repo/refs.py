"""Ticket references in commit messages, such as PROJ-12."""

import re

TICKET = re.compile(r"([A-Z][A-Z0-9]+)-(\d+)")


def ticket_refs(message):
    """The ticket ids ('PROJ-12') mentioned in ``message``, in order, each once."""
    refs = []
    found = TICKET.match(message)
    if found:
        refs.append(found.group(0))
    return refs
