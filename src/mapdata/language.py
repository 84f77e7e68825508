"""The language of an item's text (ISO 639-1), from py3langid's model, which ships inside its package.

py3langid (a maintained fork of langid.py, naive Bayes over byte n-grams) was measured against lingua on the
labelled briefs of every language the tagger reads: see docs/languages.md for the figures and why it won.
Plainly English text, most of what mapdata reads, is recognised before the model is asked: the model costs
about 90 µs an item, more than the rest of tagging a brief.
"""

from __future__ import annotations

import functools
import os

#: the languages the tagger reads: countries, organisations, topics, tone and lead actor in each
TAGGED = ("en", "ru", "uk", "pl", "de", "fr", "es")
#: what the detector chooses among: the tagged languages, and the others a news desk meets most, so that an
#: Italian or Belarusian item is named as such rather than forced into the nearest tagged language
DETECTED = (
    *TAGGED,
    *"be lt lv et cs sk sl hr sr bg ro hu it pt nl sv no da fi el tr ar fa he hi zh ja ko id vi ka hy az kk".split(),
)
#: below this many letters a text is too short to tell: a feed's declared language is trusted instead
SHORT = 40
#: the model's probability under which a declared language wins over the detected one
DOUBTFUL = 0.9
#: what the model reads of a text, in UTF-8 bytes: its cost grows with the length, and 120 bytes told every labelled
#: brief right, as 300 characters did (docs/languages.md)
MODEL_BYTES = 120

UNKNOWN = ""

# Plainly English: words that English uses in nearly every sentence and the other languages here never do
# (checked against the model on every labelled set, in both directions: tests/test_language.py). A text with
# enough of them and none of the other languages' commonest words is not asked of the model.
_ENGLISH = frozenset(
    "the of and to with said says has have had was were will would its their his her from after that which by "
    "is are for at as it be been not but into over against while during between who this than they a an in on "
    "after before its".split()
)
_FOREIGN = frozenset(
    "der die das und nicht mit von den les des et une dans avec pour sur los las del por una con para "
    "się oraz jest przez że nie em um ao os ou il het een van".split()
)
_ENGLISH_ENOUGH = 3


@functools.lru_cache(maxsize=1)
def _identifier():
    """py3langid's model, restricted to DETECTED. Unpacking the model that ships in the package takes half a second
    (it is LZMA-compressed), more than a whole run of `mapdata tag` on a small file: the restricted model is kept in
    the cache folder, from where it loads in a tenth of that."""
    import pickle
    from importlib import metadata

    from . import settings

    path = settings.cache_dir() / f"language-model-{metadata.version('py3langid')}-{len(DETECTED)}.pickle"
    try:
        with path.open("rb") as handle:
            identifier = pickle.load(handle)
        if set(identifier.nb_classes) == set(DETECTED):
            return identifier
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        pass
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(DETECTED))
    identifier._full_model = identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes  # the rest is never used
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(identifier, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    except OSError:
        pass  # a read-only cache folder: the model is unpacked each time
    return identifier


def classify(text: str) -> tuple[str, float]:
    """The model's language of a text and its probability, from the text's first MODEL_BYTES bytes."""
    return _identifier().classify(text.encode()[:MODEL_BYTES])


def plainly_english(text: str) -> bool:
    """True when the text is English beyond doubt: English function words, none of another language's."""
    words = set(text[:300].lower().split())
    return len(words & _ENGLISH) >= _ENGLISH_ENOUGH and not words & _FOREIGN


def detect(text: str, declared: str = "") -> str:
    """The ISO 639-1 code of a text's language, or UNKNOWN. `declared` (a feed's own language tag, 'de-AT' or 'de')
    wins when the text is too short or too mixed for the model to be sure; with neither, a short unsure text is
    UNKNOWN, and the tagger reads it as English, as it reads every language it does not know."""
    declared = normalise(declared)
    if plainly_english(text):
        return "en"
    # the letters matter only below SHORT: a longer text is not counted
    letters = sum(map(str.isalpha, text)) if len(text) < 3 * SHORT else SHORT
    if letters < 3:
        return declared
    language, probability = classify(text)
    if probability >= DOUBTFUL:
        return language
    if declared:
        return declared
    return language if letters >= SHORT else UNKNOWN


def normalise(tag: object) -> str:
    """The ISO 639-1 code of a language tag as feeds write it ('en-US', 'EN', 'fr_FR'), or UNKNOWN."""
    if not isinstance(tag, str):
        return UNKNOWN
    code = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if len(code) == 2 and code.isalpha() else UNKNOWN


@functools.lru_cache(maxsize=256)
def name(code: str) -> str:
    """The English name of a language code ('Russian' for 'ru', from CLDR), or the code itself."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale("en").languages.get(code, code) if code else ""
    except (UnknownLocaleError, ValueError):
        return code


def label(code: str) -> str:
    """'Russian (ru)' for 'ru'; 'not known' for an item whose language could not be told."""
    return f"{name(code)} ({code})" if code else "not known"
