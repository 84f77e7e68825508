"""The language of an item's text (ISO 639-1), from py3langid's model, which ships inside its package.

py3langid (a maintained fork of langid.py, naive Bayes over byte n-grams) was measured against lingua on the
labelled briefs of every language the tagger reads: see docs/languages.md for the figures and why it won.
Plainly English text, most of what mapdata reads, is recognised before the model is asked: the model costs
about 90 µs an item, more than the rest of tagging a brief.
"""

from __future__ import annotations

import functools
import re

#: the languages the tagger reads: countries, organisations, topics, tone and lead actor in each
TAGGED = ("en", "ru", "uk", "pl", "de", "fr", "es")
#: what the detector chooses among: the tagged languages, and the others a news desk meets most, so that an
#: Italian or Belarusian item is named as such rather than forced into the nearest tagged language
DETECTED = (
    *TAGGED,
    *"be lt lv et cs sk sl hr sr bg mk ro hu it pt nl sv no da fi el tr ar fa he hi zh ja ko id vi ka hy az kk".split(),
)
#: below this many letters a text is too short to tell: a feed's declared language is trusted instead
SHORT = 40
#: the model's probability under which a declared language wins over the detected one
DOUBTFUL = 0.9
#: a text too short to tell is taken to be in the model's language, with nothing declared, from this probability
#: ("Литва вызвала посла России." is Russian at 0.89; "Macron met Merz in Berlin." Dutch at 0.43, so not known)
SHORT_SURE = 0.5
#: what the model reads of a text, in UTF-8 bytes: its cost grows with the length, and 120 bytes told every labelled
#: brief right, as 300 characters did (docs/languages.md)
MODEL_BYTES = 120

UNKNOWN = ""

# Plain cases, told without the model (it costs more than tagging a brief): checked against the model on every
# labelled text, in both directions (tests/test_languages.py).
#
# Latin script: each language's commonest function words. Some are its alone among the languages the model knows
# well here (English, German, French, Spanish, Polish, Dutch, Italian, Portuguese, Catalan, Czech, Slovak); others it
# shares ("in", "de", "la"). A text with three of one language's words, one of them its own, and none of another's
# own is in that language.
_OWN_WORDS = {
    "en": "the of and to with said says has have will would its their his her from after that which by are for "
    "at as it be been not but into against while during between who this than they an before",
    "de": "der die das und nicht mit von dem des ist im auf für sich eine einen einem wird wurde nach bei zum zur "
    "auch hat haben sind über",
    "fr": "les des et une dans avec pour est qui du aux au ont été par sont cette ces leur",
    "es": "los las y fue sus tras según hacia también más pero muy hasta sin dijo años",
    "pl": "się oraz jest przez że nie w który która które został została zostały także już jego jej dla",
    "other": "het een van zijn werd niet met voor il della degli gli che sono è não uma em ao os com pelo pela foi "
    "são els amb això je byl byla jsou se v ve",
}
_SHARED_WORDS = {
    "en": "is was had over on a in",
    "de": "in den ein",
    "fr": "de la le en a il que un se sur",  # "sur" is Spanish too: "en el sur del Líbano"
    "es": "de la el en a que con por para del una se su al un",
    "pl": "na z do od po",
}
_OWN = {lang: frozenset(words.split()) for lang, words in _OWN_WORDS.items()}
_PLAIN = {lang: _OWN[lang] | frozenset(_SHARED_WORDS[lang].split()) for lang in _SHARED_WORDS}
_NOT_PLAIN = {lang: frozenset().union(*(w for other, w in _OWN.items() if other != lang)) for lang in _PLAIN}
_PLAIN_ENOUGH = 3
# punctuation that sticks to a word ("said.", "talks,"): a second look at a text's words without it
_STUCK = ',.;:!?"()[]{}«»“”„'
#: what the shortcut reads of a text: two sentences of a brief, and first its opening words for English
PLAIN_CHARS = 200
ENGLISH_CHARS = 100
# Cyrillic: letters only Russian writes (ы э ё) and only Ukrainian writes (і ї є ґ); Belarusian, Kazakh, Serbian,
# Macedonian, Tajik, Tatar, Bashkir and Chuvash each write a letter of their own, so a text with none of those and
# the one language's letters but not the other's is that language. A text with neither's letters is left to the
# model: Bulgarian and Macedonian often write none in a sentence or two.
_RUSSIAN, _UKRAINIAN = frozenset("ыэё"), frozenset("іїєґ")
_OTHER_CYRILLIC = frozenset("ўәғқңөұүһјљњћђџѓќѕҳҷӣӯҗҙҫҡӑӗӳ")
_CYRILLIC_ENOUGH = 20
_CYRILLIC = re.compile("[\u0400-\u04ff]")
# A Cyrillic text with none of those letters is Russian or one of the few that write none in a sentence (Bulgarian,
# and Serbian or Macedonian without their own). A soft sign before anything but "о" then makes it Russian whatever
# the model says: Bulgarian writes "ь" only in "ьо", Serbian and Macedonian never. The model reads many a short
# Russian sentence as Bulgarian ("Си Цзиньпин ... в Казани ...") or is unsure ("Польша направила ноту протеста Минску.")
_RUSSIAN_RIVALS = frozenset({"ru", "bg", "mk", "sr"})
_RUSSIAN_SOFT_SIGN = re.compile("ь(?!о)")
_MARKED = _UKRAINIAN | _OTHER_CYRILLIC


@functools.lru_cache(maxsize=1)
def _identifier():
    """py3langid's model, restricted to DETECTED. Unpacking the model that ships in the package takes half a second
    (it is LZMA-compressed), more than a whole run of `mapdata tag` on a small file: the restricted model is kept in
    the cache folder, from where it loads in a tenth of that."""
    from importlib import metadata

    from . import diskcache

    return diskcache.cached(f"language-model-{metadata.version('py3langid')}-{len(DETECTED)}.pickle", _restricted_model)


def _restricted_model():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(DETECTED))
    identifier._full_model = identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes  # the rest is never used
    return identifier


def classify(text: str) -> tuple[str, float]:
    """The model's language of a text and its probability, from the text's first MODEL_BYTES bytes."""
    return _identifier().classify(text.encode()[:MODEL_BYTES])


def plainly(text: str) -> str:
    """The language of a text that is plainly one of English, German, French, Spanish, Polish, Russian or Ukrainian
    (by its function words or its letters), or UNKNOWN when the model must tell."""
    # English first, on a text's first words only: it is most of what mapdata reads, and reading more costs it
    words = set(text[:ENGLISH_CHARS].lower().split())
    # and once more without the punctuation stuck to its words: a headline has few function words ("... talks, officials
    # in GRU said.")
    if _plain(words, "en") or _plain({word.strip(_STUCK) for word in words}, "en"):
        return "en"
    head = text[:PLAIN_CHARS].lower()
    # a text that begins in Cyrillic and writes many letters outside ASCII (each two bytes in UTF-8) is Cyrillic
    if _CYRILLIC.search(head, 0, 60) and len(head.encode()) - len(head) >= _CYRILLIC_ENOUGH:
        letters = set(head)
        if letters & _OTHER_CYRILLIC:
            return UNKNOWN
        russian, ukrainian = bool(letters & _RUSSIAN), bool(letters & _UKRAINIAN)
        return "ru" if russian and not ukrainian else "uk" if ukrainian and not russian else UNKNOWN
    words = set(head.split())
    for lang in _PLAIN:
        if _plain(words, lang):
            return lang
    return UNKNOWN


def _plain(words: set[str], lang: str) -> bool:
    """Whether a text's words are plainly `lang`'s: enough of its function words, one its own, none another's own."""
    return len(words & _PLAIN[lang]) >= _PLAIN_ENOUGH and bool(words & _OWN[lang]) and not words & _NOT_PLAIN[lang]


def detect(text: str, declared: str = "") -> str:
    """The ISO 639-1 code of a text's language, or UNKNOWN. `declared` (a feed's own language tag, 'de-AT' or 'de')
    wins when the text is too short or too mixed for the model to be sure; with neither, a short unsure text is
    UNKNOWN, and the tagger reads it as English, as it reads every language it does not know."""
    declared = normalise(declared)
    plain = plainly(text)
    if plain:
        return plain
    # the letters matter only below SHORT: a longer text is not counted
    letters = sum(map(str.isalpha, text)) if len(text) < 3 * SHORT else SHORT
    if letters < 3:
        return declared
    language, probability = classify(text)
    head = text[:PLAIN_CHARS].lower()
    unmarked = language in _RUSSIAN_RIVALS and _unmarked_cyrillic(head)
    if unmarked and _RUSSIAN_SOFT_SIGN.search(head):
        return "ru"  # its spelling says Russian, whatever the model's n-grams say
    if language == "ru" and _MARKED.intersection(head):
        return declared  # a letter Russian never writes ("Меѓународниот"): the model's Russian is wrong, whatever it is
    if probability >= DOUBTFUL:
        return language
    if declared:
        return declared
    if unmarked and language == "ru":
        # short and unsure, but the model's likeliest, and Cyrillic with no letter of another language: read as the
        # language the tagger reads. On the 380 short sentences of tests/data/cyrillic_sentences.jsonl this tells 4
        # Russian ones more, and reads as Russian 2 Bulgarian and Serbian ones that were not known
        return "ru"
    if probability < SHORT_SURE and language != "en" and _english_by_its_words(head):
        # an English brief made mostly of names, whose "von der Leyen" kept it from the shortcut: the model, unsure,
        # reads the names ("Spanish Prime Minister Pedro Sanchez and European Commission President Ursula von der
        # Leyen pledged ...": French at 0.33); its own English words say what it is
        return "en"
    return language if letters >= SHORT or probability >= SHORT_SURE else UNKNOWN


def _english_by_its_words(head: str) -> bool:
    """Whether a text's head has English words enough to overrule an unsure model: three of English's function words,
    two of them its own, and more of its own than of any other language's (a name's "der" is one; Slovak's "to" and
    "a" are English words too, but not two of English's own)."""
    words = set(head.split())
    own = len(words & _OWN["en"])
    return (
        own >= 2
        and len(words & _PLAIN["en"]) >= _PLAIN_ENOUGH
        and all(len(words & _OWN[lang]) < own for lang in _OWN if lang != "en")
    )


def _unmarked_cyrillic(head: str) -> bool:
    """Whether a text's head (its first PLAIN_CHARS, lower-cased) is written in Cyrillic (nine letters in ten) with no
    letter that marks Ukrainian, Belarusian, Serbian, Macedonian or a Turkic or Iranian language: Russian, or
    Bulgarian, or too short to tell."""
    letters = [c for c in head if c.isalpha()]
    cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    return cyrillic >= 3 and cyrillic >= 0.9 * len(letters) and not _MARKED.intersection(head)


def normalise(tag: object) -> str:
    """The ISO 639-1 code of a language tag as feeds write it ('en-US', 'EN', 'fr_FR'), or UNKNOWN."""
    if not tag or not isinstance(tag, str):
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
