"""What a model is told when it groups a repository's files into modules (``cw plan --model``).

The model sees what CodeWiki's clustering showed it: the candidates grouped by file, each
file with the names of its top-level components, and for a module being divided further,
the module tree so far with that module marked. Unlike CodeWiki it groups *files*, not
components, and may leave none out: a page documents whole files, and every file is on
exactly one page. Sizes are given in the planner's source tokens so the model can respect
the bounds it is told. The answer is JSON, read and checked by :mod:`.grouping`.

:data:`PROMPT_VERSION` is part of the plan's cache key: change it with the wording, so a
plan made from older instructions is made again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tiffany.models import Message

#: Bumped whenever the instructions or the answer's form change.
PROMPT_VERSION = "cluster-1"

#: Component names listed per file; a file with more is summarised by a count.
NAMES_PER_FILE = 12

SYSTEM_PROMPT = """\
You organise the documentation of a code repository. Group the files you are given into
modules: each module is a set of files that are closely related (they implement one
feature, one layer or one concept together) and gets one page of the documentation,
written for the engineers who maintain it.

Rules:
- Put every file you are given in exactly one module; use the paths exactly as given;
  add no other path.
- Give at least two modules. Keep each module between {min_tokens} and {max_tokens}
  source tokens (the sizes are listed with the files), unless a single file is larger.
- Name each module for what it does, in a few words ("Request routing", "Index
  storage"); names are unique and never list files or say "+N more".

Think first if you like, then end your answer with one JSON object in this form:
{{"modules": [{{"name": "Module name", "files": ["path/a.py", "path/b.py"]}}]}}"""


def candidates(
    files: Sequence[str], tokens: Mapping[str, int], names: Mapping[str, Sequence[str]]
) -> str:
    """The files to group, one block per file: ``# path (N tokens)`` and its components."""
    blocks = []
    for path in files:
        listed = list(names.get(path, ()))
        shown = ", ".join(listed[:NAMES_PER_FILE])
        if len(listed) > NAMES_PER_FILE:
            shown += f" and {len(listed) - NAMES_PER_FILE} others"
        blocks.append(f"# {path} ({tokens[path]} tokens)\n    {shown or '(no named components)'}")
    return "\n".join(blocks)


def grouping_request(
    repo: str,
    listing: str,
    *,
    min_tokens: int,
    max_tokens: int,
    tree: str = "",
    module: str = "",
) -> list[Message]:
    """The first message pair of one grouping: the whole repository, or one ``module`` of
    the ``tree`` drawn so far."""
    system = SYSTEM_PROMPT.format(min_tokens=min_tokens, max_tokens=max_tokens)
    if module:
        scope = (
            f"The repository {repo} is documented as this module tree so far (the module "
            f"to divide is marked <- HERE):\n\n{tree}\n\nDivide the module {module!r} into "
            "smaller modules. Its files:"
        )
    else:
        scope = f"Group the files of the repository {repo} into modules. Its files:"
    return [Message.system(system), Message.user(f"{scope}\n\n{listing}")]


def problems_message(problems: Sequence[str]) -> Message:
    """The follow-up that sends an answer back with what is wrong with it."""
    listed = "\n".join(f"- {problem}" for problem in problems)
    return Message.user(
        f"Your grouping cannot be used:\n{listed}\n\n"
        "Answer again with the whole grouping, every file in exactly one module, as one "
        "JSON object in the same form."
    )
