"""Where an item's first sentence ends: it carries the main event, so its cues and actors weigh more."""

from __future__ import annotations

import re

_ABBREVIATIONS = re.compile(
    r"(?:\b[A-Z]\.|\b(?:Mr|Mrs|Ms|Dr|St|Gen|Gov|Sen|Rep|Lt|Col|Sgt|Jr|Sr|No|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec|Ft|Mt|vs|etc)\.)$"
)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")


def first_sentence_end(text: str) -> int:
    """Offset where the first sentence ends (abbreviations such as 'U.S.' and 'Gov.' do not end it)."""
    for m in _SENTENCE_END.finditer(text):
        head = text[: m.start() + 1]
        if not _ABBREVIATIONS.search(head):
            return m.start() + 1
    return len(text)
