"""A short answer from a model, grounded only in the evidence, every sentence citing it.

The model sees the question and the numbered evidence, nothing else, and is told to end
each sentence with the numbers it rests on (``[1]``, ``[2][3]``). What comes back is
checked rather than trusted: a sentence without a citation, or citing a number that is
not in the evidence, is dropped and reported, so the answer a user reads says only what
the cited code shows.
"""

from __future__ import annotations

import re

from tiffany.models import Message, ModelClient

from ..results import Evidence

SYSTEM_PROMPT = """\
You answer questions about a code repository using ONLY the numbered evidence given.
End every sentence with the evidence numbers it rests on, like [1] or [2][3].
Write at most five sentences. If the evidence does not answer the question, say that
the evidence does not show it, and cite the closest evidence."""

_CITE = re.compile(r"\[(\d+)\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(\[])")


def prompt(question: str, evidence: list[Evidence]) -> list[Message]:
    """The conversation sent to the model."""
    blocks = []
    for number, item in enumerate(evidence, start=1):
        body = item.snippet or item.signature
        doc = f"\n{item.doc}" if item.doc else ""
        heading = f"[{number}] {item.kind} {item.qualified_name} ({item.citation})"
        blocks.append(f"{heading}{doc}\n{body}")
    user = f"Question: {question}\n\nEvidence:\n\n" + "\n\n".join(blocks)
    return [Message.system(SYSTEM_PROMPT), Message.user(user)]


def keep_cited(text: str, evidence_count: int) -> tuple[str, list[str]]:
    """The sentences of ``text`` that cite valid evidence, and the ones dropped."""
    kept: list[str] = []
    dropped: list[str] = []
    for sentence in _SENTENCE.split(text.strip()):
        sentence = sentence.strip()
        if not sentence:
            continue
        numbers = [int(n) for n in _CITE.findall(sentence)]
        if numbers and all(1 <= n <= evidence_count for n in numbers):
            kept.append(sentence)
        else:
            dropped.append(sentence)
    return " ".join(kept), dropped


def with_citations(text: str, evidence: list[Evidence]) -> str:
    """``[n]`` markers replaced by the ``path:start-end`` they stand for."""
    return _CITE.sub(lambda m: f"[{evidence[int(m.group(1)) - 1].citation}]", text)


async def answer(
    llm: ModelClient, question: str, evidence: list[Evidence]
) -> tuple[str, list[str]]:
    """Ask ``llm``; returns the checked answer (citations spelled out) and dropped sentences."""
    completion = await llm.complete(prompt(question, evidence), temperature=0)
    kept, dropped = keep_cited(completion.text, len(evidence))
    return with_citations(kept, evidence), dropped
