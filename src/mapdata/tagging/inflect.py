"""The regular English inflections of the lexicon's words: "block~" stands for block, blocks, blocked, blocking."""

from __future__ import annotations

import itertools

_VOWELS = frozenset("aeiou")


def _word_forms(word: str) -> set[str]:
    """A word and its regular inflections (-s/-es, -ed, -ing, with e-dropping, y to i and a doubled final
    consonant). Where the spelling rule is unclear both forms are made ("visited", "stopped"): one of them
    is not English and never matches."""
    if word.endswith("e"):
        return {word, word + "s", word + "d", word + "ing" if word[-2:] in ("ee", "ye", "oe") else word[:-1] + "ing"}
    if word.endswith("y") and len(word) > 2 and word[-2] not in _VOWELS:
        return {word, word[:-1] + "ies", word[:-1] + "ied", word + "ing"}
    forms = {word, word + ("es" if word.endswith(("s", "x", "z", "ch", "sh")) else "s"), word + "ed", word + "ing"}
    if len(word) > 2 and word[-1] not in _VOWELS | {"w", "x", "y"} and word[-2] in _VOWELS and word[-3] not in _VOWELS:
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}
    return forms


def inflections(pattern: str) -> list[str]:
    """Every phrase a lexicon pattern stands for: each word marked with a trailing '~' takes all its regular
    inflections ("block~" is block, blocks, blocked, blocking; "cut~ off" is also "cutting off")."""
    choices = [sorted(_word_forms(w[:-1])) if w.endswith("~") else [w] for w in pattern.split(" ")]
    return [" ".join(words) for words in itertools.product(*choices)]
