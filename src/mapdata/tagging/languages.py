"""Countries, organisations and topic and tone cues in the languages other than English that the tagger reads.

For each language (language.TAGGED) the phrases come, first to last (the first meaning of a phrase wins), from:
- `data/i18n/<lang>.csv`: what the packages lack, curated (variants, demonyms and adjectives, seats of power,
  capitals, leaders as that language writes them, organisations by their local acronyms, regions);
- CLDR (babel): each country's name in that language, and the cities CLDR names time zones after;
- pycountry's translations of ISO 3166 names (official and common names);
- in the Latin-script languages, the English gazetteer's leaders and organisation acronyms, which those
  languages write alike ("Erdoğan", "NATO").
Topic and tone cues come from `data/i18n/lexicon_<lang>.csv`, read like data/lexicon.csv. Phrases are matched as
sequences of word keys (morphology.py), so each is written once in its dictionary form.

A language's tables take seconds to build (simplemma's dictionaries are read), so they are built the first time
an item in that language is tagged and kept in the on-disk cache beside the gazetteer's.
"""

from __future__ import annotations

import functools
import gettext
import hashlib
import re
import threading
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path

from .. import diskcache, gazetteer, language, settings
from ..errors import DataFileError
from ..gazetteer import Entry, Gazetteer, read_rows, sovereign
from ..models import Tag
from ..textfold import fold
from .lexicon import PARAMS, Cue, ScoreParams, valid_label
from .morphology import WORD, Dictionary, Morphology, PhraseIndex, related

#: the languages read with these tables (English is read by the gazetteer and data/lexicon.csv)
READ = frozenset(language.TAGGED) - {"en"}
LATIN = frozenset({"pl", "de", "fr", "es"})
#: the languages that do not decline names: a one-word name is matched only as it is written (another form, such as
#: a plural, is written in the data file), not by its stem, which other names share ("George" and "Géorgie")
EXACT_NAMES = frozenset({"fr", "es"})
#: the key of a name of EXACT_NAMES is this and the name: no stem of any word can equal it
EXACT = "@"
#: a cue word this short may be an acronym ("nbp", "ввп")
ACRONYM_LETTERS = 5

# Words before an actor that make it an object or a setting rather than the one who acts (lead.NOT_SUBJECT for
# English): each language's prepositions, and its articles that may stand between (lead.ARTICLES). As English "of",
# the genitive's "de", "del", "des" are left out ("le Conseil de l'UE a adopté": the EU acts), and German's
# accusative and dative articles are in ("hat den deutschen Staatsbürger verurteilt": Germany is acted on).
NOT_SUBJECT = {
    "ru": "в во на с со к ко из от до для против у о об обо по при над под между через без за перед из-за после "
    "вокруг около среди",
    "uk": "в у на з із зі до від для проти про по при над під між через без за перед після навколо серед біля",
    "pl": "w we na z ze do od dla przeciw przeciwko o po przy nad pod między przez bez za u ku wobec przed wokół",
    "de": "in im nach mit gegen von vom aus bei beim zu zum zur für über an am auf um durch zwischen ohne "
    "gegenüber seit laut ins ans aufs unter vor hinter neben wegen trotz während den dem einem einen",
    "fr": "à au aux en dans avec contre sur pour par vers chez entre depuis sans envers selon",
    "es": "en a al con contra desde hacia para por sobre entre sin hasta tras según ante",
}
ARTICLES = {
    "ru": "",
    "uk": "",
    "pl": "",
    "de": "der die das ein eine einer",
    "fr": "le la les l un une",
    "es": "el la los las un una",
}

_FORMAT = 5


@dataclass(frozen=True, slots=True)
class Pack:
    """Everything the tagger needs to read one language."""

    lang: str
    morphology: Morphology
    actors: PhraseIndex  # values: Entry
    cues: PhraseIndex  # values: Cue
    not_subject: frozenset[str]
    articles: frozenset[str]

    def tokens(self, text: str, low: str | None = None) -> list[tuple[int, int, str, bool]]:
        """The text's words with their keys (`low`: fold(text).lower(), when the caller has it)."""
        return self.morphology.tokens(text, low)

    def tag(self, text: str, tokens: list[tuple[int, int, str, bool]], low: str | None = None) -> list[Tag]:
        """Evidence for every actor the text names, in text order (`low`: fold(text).lower(), when known)."""
        low = fold(text).lower() if low is None else low
        out = []
        for first, after, entry in self.actors.find(tokens, low=low):
            if entry.actor is None:
                continue  # a phrase that contains a name but involves no actor ("Балтийское море")
            start, end = tokens[first][0], tokens[after - 1][1]
            out.append(Tag(entry.actor, text[start:end], start, end, entry.kind, False))
        return out

    def words(self, tokens: list[tuple[int, int, str, bool]], absences: list[tuple[int, int]]) -> str:
        """The words the learned layer weighs: each word's key in ASCII after the language ("ru_sankc"), so that
        every form of a word is one feature and no word of one language is taken for another's; the words an
        absence cue governs ("никаких признаков") are left out, as tagging.words_text does for English."""
        spelled = self.morphology.features
        if absences:
            tokens = [t for t in tokens if not any(a <= t[0] < b for a, b in absences)]
        # and the language itself ("ru_language"), so that each language's lexicon may weigh differently: a topic
        # or tone its cues find too often or too seldom is evened out
        out = [f"{self.lang}_language"]
        for _, _, key, _ in tokens:
            word = spelled.get(key)
            if word is None:
                word = spelled[key] = f"{self.lang}_{ascii_key(key)}" if key[:1] != "=" else ""
            out.append(word)
        return " ".join(out)

    def hits(
        self, text: str, tokens: list[tuple[int, int, str, bool]], low: str | None = None
    ) -> list[tuple[int, int, Cue]]:
        """Every cue in the text with its span, overlapping cues all counted (as Lexicon.hits)."""
        low = fold(text).lower() if low is None else low
        out = [(tokens[f][0], tokens[a - 1][1], cue) for f, a, cue in self.cues.find(tokens, every=True)]
        # a word start is a cue only in a word written in lower case ("Donetsk" is not "don*"), but in German, which
        # writes every noun with a capital
        names = self.lang != "de"
        out.extend(
            (tokens[i][0], tokens[i][1], cue)
            for i, cue in self.cues.find_prefixes(low, tokens)
            if not (names and tokens[i][3])
        )
        out.sort(key=lambda h: h[0])
        return out


_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґў",
        "a b v g d e e zh z i i k l m n o p r s t u f h c ch sh sch _ y _ e ju ja i ji je g u".split(),
        strict=True,
    )
)
_NOT_LETTER = re.compile(r"[^a-z]+")


def ascii_key(key: str) -> str:
    """A word's key in plain a-z: Cyrillic transliterated, anything else dropped."""
    if not key.isascii():
        key = "".join(_CYRILLIC.get(c, c) for c in key)
    return _NOT_LETTER.sub("", key)


def params_of(lang: str) -> ScoreParams:
    """The lexicon's rules for a language: German writes every noun with a capital, so a capitalised cue inside a
    sentence is not taken for part of a name there."""
    return replace(PARAMS, skip_names=False) if lang == "de" else PARAMS


def _files(lang: str) -> tuple[Path, Path]:
    folder = settings.data_dir() / "i18n"
    return folder / f"{lang}.csv", folder / f"lexicon_{lang}.csv"


def _phrases(lang: str, gaz: Gazetteer) -> list[tuple[str, Entry]]:
    """Every phrase that names an actor in this language, curated first."""
    names, _ = _files(lang)
    out: list[tuple[str, Entry]] = []
    kinds = {"name", "demonym", "capital", "leader", "place", "organisation", "none"}
    for number, row in read_rows(names, ("phrase", "code", "kind"), missing_ok=True):
        code, kind = row["code"], row["kind"]
        if kind not in kinds:
            raise DataFileError(f"{names}, line {number}: kind {kind!r} is not one of {', '.join(sorted(kinds))}")
        if code == "-" or kind == "none":
            out.append((row["phrase"], Entry(None, "none")))
        elif kind == "organisation":
            if code not in gaz.organisations:
                raise DataFileError(f"{names}, line {number}: {code!r} is not a code of data/organisations.csv")
            out.append((row["phrase"], Entry(code, "organisation")))
        else:
            if sovereign(code) not in gaz.country_names:
                raise DataFileError(f"{names}, line {number}: {code!r} is not a country code")
            out.append((row["phrase"], Entry(sovereign(code), kind)))
    from babel import Locale
    from babel.core import get_global

    locale = Locale.parse(lang)
    for code, name in locale.territories.items():
        if len(code) == 2 and sovereign(code) in gaz.country_names:
            out.append((name, Entry(sovereign(code), "name" if sovereign(code) == code else "place")))
    import pycountry

    try:
        translate = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]).gettext
    except OSError:
        translate = None
    if translate is not None:
        for country in pycountry.countries:
            code = sovereign(country.alpha_2)
            if code not in gaz.country_names:
                continue
            for attr in ("common_name", "name", "official_name"):
                english = getattr(country, attr, None)
                if english and (local := translate(english)) != english:
                    out.append((local, Entry(code, "name" if code == country.alpha_2 else "place")))
    # CLDR names a time zone's city only where the language writes it otherwise than the zone's id ("Europe/Berlin")
    zone_names = locale.time_zones
    for zone, territory in get_global("zone_territories").items():
        city = (zone_names.get(zone) or {}).get("city") or zone.rsplit("/", 1)[-1].replace("_", " ")
        if "/" in zone and sovereign(territory) in gaz.country_names and not city.startswith(("GMT", "UTC")):
            out.append((city, Entry(sovereign(territory), "capital")))
    if lang in LATIN:
        for key, entry in gaz.entries.items():
            if entry.kind == "leader" or (entry.kind == "organisation" and key.isupper() and len(key) >= 2):
                out.append((key, entry))
    return out


def _cues(lang: str) -> list[tuple[str, Cue]]:
    _, lexicon = _files(lang)
    out = []
    for number, row in read_rows(lexicon, ("pattern", "category", "label"), missing_ok=True):
        category, label, raw = row["category"], row["label"], row["pattern"].lower()
        valid = valid_label(category, label)
        try:
            weight = float(row.get("weight") or 1.0)
        except ValueError:
            valid = False
        if not valid:
            raise DataFileError(f"{lexicon}, line {number}: bad row {row}")
        prefix = raw.endswith("*")
        pattern = raw.rstrip("*").strip()
        out.append((pattern, Cue(pattern, category, label, weight, prefix)))
    return out


def build(lang: str, gaz: Gazetteer) -> Pack:
    """Build a language's tables from the data files and packages (seconds: simplemma's dictionaries are read)."""
    morphology = Morphology(lang)
    phrases, cues = _phrases(lang, gaz), _cues(lang)
    words = {w for phrase, _ in phrases for w in _words(phrase)}
    words |= {w for pattern, cue in cues if not cue.prefix for w in _words(pattern)}
    # A name written alone ("Mali", "Гуам") is its own lemma: its key is its own stem, and its forms are those
    # simplemma gives for it as a lemma ("Polsce" for "Polska"); as a word, "Mali" is also a form of "mały" (small).
    # In French and Spanish, which do not decline names, a name's key is the name itself, for the word written with
    # a capital (EXACT_NAMES): "George" is not "Géorgie", and "la influencia china" still has the adjective "chino".
    # Any other word's key is its lemma's stem ("белорусских" -> "белорусский"), unless the lemma is not a form of it
    # (simplemma's data has a few wrong pairs).
    names = {p for p, _ in phrases if p[:1].isupper() and not p.isupper() and len(_words(p)) == 1}
    dictionary = Dictionary(lang)
    own: dict[str, str] = {}  # phrase word -> key
    wanted: dict[str, str] = {}  # lemma -> key
    exact: dict[str, str] = {}  # a name of EXACT_NAMES -> key: the name itself, for the word written with a capital
    for word in sorted(words):
        if len(word) > 1 and word.isupper():
            continue  # an acronym: its own key (Morphology.key)
        if word in names and lang in EXACT_NAMES:
            exact[fold(word.lower())] = EXACT + fold(word.lower())
            continue
        lemma = word if word in names else dictionary.lemma(word)
        if not related(word, lemma):
            lemma = word
        key = own[word] = morphology.stem_key(lemma)
        wanted.setdefault(lemma, key)
    forms = dictionary.forms(wanted)
    del dictionary  # hundreds of megabytes: not for the life of the process
    for word, key in own.items():
        if word in names:
            forms[fold(word.lower())] = key  # the name, not the word it is a form of
        else:
            forms.setdefault(fold(word.lower()), key)
    short_words = set(NOT_SUBJECT[lang].split()) | set(ARTICLES[lang].split())
    acronyms = (
        frozenset(fold(p.lower()) for p, _ in phrases if len(p) > 1 and p.isupper() and len(_words(p)) == 1)
        - short_words
    )
    morphology = Morphology(lang, forms, exact, acronyms)
    actors, seen = PhraseIndex(), set()
    for phrase, entry in phrases:
        words_of = _words(phrase)
        keys = tuple(morphology.key(w) for w in words_of)
        capital = phrase[:1].isupper()
        if keys and (keys, capital) not in seen:
            seen.add((keys, capital))
            actors.add(keys, capital, entry)
            if len(words_of) == 1 and capital and not phrase.isupper():
                actors.add_loose(lang, fold(phrase.lower()), entry)
    actors.finish()
    index = PhraseIndex()
    for pattern, cue in cues:
        if cue.prefix and " " not in pattern:
            index.add_prefix(fold(pattern), cue)
        else:
            words = _words(pattern)
            keys = tuple(morphology.key(w) for w in words)
            index.add(keys, False, cue)
            # a cue word that is also a name of EXACT_NAMES ("une Chine unique") is written with a capital, so the
            # text gives it the name's key: the cue matches that way too
            named = tuple(exact.get(fold(w.lower()), key) for w, key in zip(words, keys, strict=True))
            if named != keys:
                index.add(named, False, cue)
            if any(len(w) <= ACRONYM_LETTERS for w in words):
                # "nbp", "ввп": a short cue word may be an acronym, which the text writes in capitals and so keys
                # as itself (Morphology.key); the cue then matches that way too
                acronyms = tuple(
                    morphology.key(w.upper()) if len(w) <= ACRONYM_LETTERS else morphology.key(w) for w in words
                )
                index.add(acronyms, False, cue)
    index.finish()
    return Pack(
        lang,
        morphology,
        actors,
        index,
        frozenset(NOT_SUBJECT[lang].split()),
        frozenset(ARTICLES[lang].split()),
    )


def _words(phrase: str) -> list[str]:
    return WORD.findall(phrase)


def _cache_key(lang: str) -> str:
    digest = hashlib.sha256(f"{_FORMAT}:{lang}:{gazetteer.cache_key()}".encode())
    for path in _files(lang):
        if path.is_file():
            digest.update(path.read_bytes())
    for module in ("languages.py", "morphology.py", "lexicon.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    for package in ("simplemma", "pystemmer", "babel", "pycountry"):
        digest.update(f"{package}={metadata.version(package)}".encode())
    return digest.hexdigest()[:20]


_lock = threading.Lock()


@functools.cache
def pack(lang: str) -> Pack:
    """A language's tables, from the on-disk cache when nothing they come from has changed, else built and saved."""
    with _lock:  # two threads of the dashboard build a language once
        return diskcache.cached(
            f"language-{lang}-{_cache_key(lang)}.pickle",
            lambda: build(lang, gazetteer.load()),
            family=f"language-{lang}-*.pickle",
        )


def load_all(packs: bool = True) -> None:
    """The language model and (with `packs`) every language's tables, loaded now: a command that forks workers
    calls it first, so that they share one copy instead of each reading its own."""
    language.classify("")
    for lang in sorted(READ) if packs else ():
        pack(lang)
