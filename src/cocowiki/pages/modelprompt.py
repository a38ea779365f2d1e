"""The page contract a model writes to, and the summary it hands to the parent page.

The contract is what makes a model page a module guide rather than an evidence report:
the sections a maintainer looks for, in the order they read them, a citation on every
paragraph, and Mermaid written so that mermaid 11 parses it. :data:`CONTRACT_VERSION` is
one of a model page's inputs: changing the contract's text without bumping it would
leave pages written to the old contract looking up to date.
"""

from __future__ import annotations

import re

from .mermaid_repair import MERMAID_TRAPS

#: Bump whenever :data:`PAGE_CONTRACT` changes meaning: every model page is asked again.
#: 2: the Mermaid 11 traps are part of the contract; sub-pages.
CONTRACT_VERSION = 2

SUMMARY_START = "<!-- cw:summary -->"
SUMMARY_END = "<!-- /cw:summary -->"

PAGE_CONTRACT = f"""\
You write one page of a code wiki: a guide to one module, for the engineers who will
change it. You are given the whole module tree (this module marked), every file of the
module with numbered lines, facts from the code index and, for a parent module, the
summaries of its sub-pages.

Write GitHub-flavoured Markdown with these sections, in this order (leave out a section
only when the code gives it nothing to say):

# <module title>
## Introduction            what the module is for and who calls it
## How it fits             links to the pages it uses and that use it, as [title](<page id>.md)
## Architecture            an overview with one ```mermaid diagram
## Key types and functions
## Main flows              one ### subsection per flow, each with a sequence or flow
                           diagram and its steps
## State and concurrency   the invariants that hold, and who may change what when
## Errors and edge cases
## Configuration and extension points
## Performance notes
## Sub-modules             one line per sub-page, linked as [title](<page id>.md)
## Summary                 two or three sentences for the parent page, between
                           {SUMMARY_START} and {SUMMARY_END} on lines of their own

Rules:
- Every paragraph and list item of prose cites the code it is about as `path:start-end`
  (for example `src/app/cache.py:12-40`), using the line numbers you were shown. Cite the
  lines that contain what the sentence names. Never cite a line a file does not have.
- Do not write an evidence map or a note on how the page is kept up to date: cocowiki
  appends those. Do not write <!-- cw:keep --> markers: they mark what maintainers
  wrote, and cocowiki carries their sections into your page.
- To read code you were not shown in full, call read_code_components(ids) or
  read_file(path, start, end). For a module too large for one page, call
  generate_sub_module_documentation(name, component_ids) for each coherent part; its
  summary comes back to you to write the Sub-modules section.
- Your final answer (a reply without tool calls) is the page, and nothing else.
"""


def contract_system() -> str:
    """The system message every model page of this version of cocowiki is written with:
    the contract, then the Mermaid 11 traps (:data:`~.mermaid_repair.MERMAID_TRAPS`)."""
    return system_prompt(MERMAID_TRAPS)


def system_prompt(mermaid_traps: str) -> str:
    """The system message: the page contract, then the Mermaid 11 traps to avoid."""
    traps = mermaid_traps.strip()
    if not traps:
        return PAGE_CONTRACT
    return f"{PAGE_CONTRACT}\n{traps}\n"


_SUMMARY = re.compile(re.escape(SUMMARY_START) + r"(.*?)" + re.escape(SUMMARY_END), re.DOTALL)


def extract_summary(markdown: str) -> str:
    """The summary the page hands to its parent: the delimited text, on one line; else
    the first paragraph of the introduction, so a page that forgot the markers still
    tells its parent something."""
    found = _SUMMARY.search(markdown)
    if found is not None:
        return " ".join(found.group(1).split())
    for block in markdown.split("\n\n"):
        text = block.strip()
        if text and not text.startswith(("#", "```", "<!--", "|", "-")):
            return " ".join(text.split())
    return ""
