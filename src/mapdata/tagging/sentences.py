"""Where an item's sentences end: the first carries the main event, so its cues and actors weigh more; in an
article, the sentences decide which actors a relation line joins."""

from __future__ import annotations

import re
from collections.abc import Iterator

_ABBREVIATIONS = re.compile(
    r"(?:\b[A-Z]\.|\b(?:Mr|Mrs|Ms|Dr|St|Gen|Gov|Sen|Rep|Lt|Col|Sgt|Jr|Sr|No|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec|Ft|Mt|vs|etc)\.)$"
)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
_LOOK_BACK = 12  # characters before a full stop that can hold an abbreviation and the boundary before it


def sentence_ends(text: str) -> Iterator[int]:
    """The offsets where the text's sentences end, in order (abbreviations such as 'U.S.' and 'Gov.' end none);
    the last sentence ends at the end of the text, which is not yielded."""
    for m in _SENTENCE_END.finditer(text):
        stop = m.start() + 1
        if not _ABBREVIATIONS.search(text, max(0, stop - _LOOK_BACK), stop):
            yield stop


def first_sentence_end(text: str) -> int:
    """Offset where the first sentence ends."""
    return next(sentence_ends(text), len(text))
