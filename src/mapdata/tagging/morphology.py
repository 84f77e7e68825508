"""Words of an inflected language reduced to one match key per lexeme, so that a phrase written once in its
dictionary form ("Беларусь", "Polska", "Frankreich") matches every form the news writes ("в Беларуси",
"w Polsce", "Frankreichs").

Two well-kept libraries do the linguistics: simplemma's dictionaries (forms to lemmas, for 50+ languages) and
the Snowball stemmers of PyStemmer. A key is the Snowball stem of a word's lemma. The lemma catches what no
stemmer can ("Polsce" is a form of "Polska", "Niemczech" of "Niemcy", "Kijowie" of "Kijów"); the stem catches the
forms of names simplemma has never seen ("Лукашенку", "Сийярто", "Selenskyjs").

simplemma's dictionaries are large (Polish alone takes 3 s and 400 MB to load), so they are read only when a
language's tables are built: for the lemmas that the data files use, every form that simplemma knows is
written into a plain dictionary, and that (kept in the on-disk cache) is all the tagger holds at run time.
Measured against calling simplemma on every word in docs/languages.md.
"""

from __future__ import annotations

import re

import ahocorasick_rs
import Stemmer

from ..textfold import fold

#: Snowball has no Ukrainian stemmer; the Russian one strips the endings the two languages share
SNOWBALL = {"ru": "russian", "uk": "russian", "pl": "polish", "de": "german", "fr": "french", "es": "spanish"}
#: the key of an acronym is this and the acronym, lower-cased: no lemma or stem of a word can start with it
ACRONYM = "="
#: a stem shorter than this says too little ("мал" would join Мали to малый): the lemma is the key instead
MIN_STEM = 4

# A word: letters and digits, with inner dots for "EE.UU." and "U.S." (the last dot left out, as a sentence's is);
# apostrophes and hyphens split words, so that "l'Iran" is "l" and "Iran" and "Kreml-Sprecher" is "Kreml" and
# "Sprecher".
WORD = re.compile(r"\w+(?:\.\w+)*")


_UKRAINIAN = str.maketrans("іїєґ", "ииег")


class Morphology:
    """The match key of any word of one language."""

    def __init__(
        self,
        lang: str,
        forms: dict[str, str] | None = None,
        names: dict[str, str] | None = None,
        acronyms: frozenset[str] = frozenset(),
    ) -> None:
        self.lang = lang
        # the acronyms the data files name (folded, lower case), but for the language's short words ("un", "la"): in
        # a text written in capitals ("LA CHINE ET LA FRANCE SIGNENT UN ACCORD") the other words are words
        self.acronyms = acronyms
        self.forms = forms or {}  # folded lower-case form -> key, for the lemmas the data files use
        # folded lower-case name -> key, for a word written with a capital only: the names of a language that does
        # not decline them, each its own key ("Argentina"), while "argentina" (the adjective) keeps its stem's
        self.names = names or {}
        self._stemmer = Stemmer.Stemmer(SNOWBALL[lang])
        self._cache: dict[str, str] = {}
        self.features: dict[str, str] = {}  # key -> the learned layer's word for it (languages.Pack.words)

    def __getstate__(self) -> tuple:
        return self.lang, self.forms, self.names, self.acronyms

    def __setstate__(self, state: tuple) -> None:
        self.__init__(*state)

    def stem_key(self, lemma: str) -> str:
        """The key of a lemma (or of a word no dictionary knows): its stem, or itself when the stem is too short."""
        low = fold(lemma.lower())
        # Ukrainian through Russian's stemmer: its own letters read as the Russian ones it strips ("Лумпурі")
        stem = self._stemmer.stemWord(low.translate(_UKRAINIAN) if self.lang == "uk" else low)
        return stem if len(stem) >= MIN_STEM else low

    def key(self, word: str) -> str:
        """The key of a word as the text writes it. An acronym ("LAS", "ЕС", "UE") is its own key: lemmatised, it
        would be another word ("las" is a form of the Spanish article "el")."""
        if len(word) > 1 and word.isupper():
            return ACRONYM + fold(word.lower())
        low = fold(word.lower())
        return (self.names.get(low) if word[:1].isupper() else None) or self.key_of_low(low)

    def key_of_low(self, low: str) -> str:
        """The key of a word already folded and lower-cased."""
        key = self.forms.get(low)
        if key is None:
            key = self._cache.get(low)
            if key is None:
                if len(self._cache) > 200_000:
                    self._cache.clear()  # bounded: a long-running dashboard reads unbounded vocabulary
                    self.features.clear()
                key = self._cache[low] = self.stem_key(low)
        return key

    def tokens(self, text: str, low: str | None = None) -> list[tuple[int, int, str, bool]]:
        """Each word of the text: (start, end, key, capitalised); `low` is fold(text).lower() when the caller has it
        (the same length as the text, so the offsets hold for both)."""
        low = fold(text).lower() if low is None else low
        key, forms, names, acronyms = self.key_of_low, self.forms, self.names, self.acronyms
        shout = None  # whether the text is written in capitals: counted only once a word in capitals asks
        out = []
        for m in WORD.finditer(low):
            start, end = m.span()
            word = m.group()
            if text[start].isupper():
                if end - start > 1 and text[start:end].isupper():
                    if shout is None and word not in acronyms:
                        shout = shouting(text)
                    if not shout or word in acronyms:
                        out.append((start, end, ACRONYM + word, True))
                        continue
                out.append((start, end, names.get(word) or forms.get(word) or key(word), True))
            else:
                out.append((start, end, forms.get(word) or key(word), False))
        return out


def shouting(text: str) -> bool:
    """Whether a text is written in capitals (a wire headline): then a word in capitals is not an acronym for that."""
    upper = sum(map(str.isupper, text))
    return upper >= 10 and upper > 3 * sum(map(str.islower, text))


def related(form: str, lemma: str) -> bool:
    """Whether a dictionary's form and lemma begin alike: simplemma's data has a few wrong pairs ("Гуам" given as a
    form of "Грузія"), and no form of a name or a common word begins otherwise than its lemma."""
    a, b = fold(form.lower()), fold(lemma.lower())
    n = min(2, len(a), len(b))
    return a[:n] == b[:n]


class Dictionary:
    """simplemma's dictionary of one language, held only while that language's tables are built: one copy, its own
    (simplemma's module-level functions keep every dictionary they read for the life of the process, 400 MB for
    Polish alone, which a dashboard that met one Polish item would carry from then on)."""

    def __init__(self, lang: str) -> None:
        from simplemma import Lemmatizer
        from simplemma.strategies.default import DefaultStrategy
        from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

        self.lang = lang
        self._factory = DefaultDictionaryFactory(cache_max_size=1)
        self._lemmatizer = Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=self._factory))

    def lemma(self, word: str) -> str:
        """simplemma's lemma of a word."""
        return self._lemmatizer.lemmatize(word, lang=self.lang)

    def forms(self, wanted_keys: dict[str, str]) -> dict[str, str]:
        """Every form the dictionary knows of the given lemmas (lemma -> key; case matters: "Polska" the name, not
        "polska" the adjective), folded and lower-cased, with its lemma's key."""
        wanted = {lemma.encode(): key for lemma, key in wanted_keys.items()}
        forms: dict[str, str] = {}
        table = self._factory.get_dictionary(self.lang)
        raw: dict[bytes, bytes] = getattr(table, "_dict", None) or {k.encode(): v.encode() for k, v in table.items()}
        for form, lemma in raw.items():
            key = wanted.get(lemma)
            if key is not None and related(text := form.decode(), name := lemma.decode()):
                if text[:1].isupper() and not name[:1].isupper():
                    continue  # a name given as a form of a common word ("Donald" of "donner"): not that word
                forms.setdefault(fold(text.lower()), key)
        return forms


# Case endings of Russian, Ukrainian and Polish nouns, longest first: a name simplemma does not know ("Гвинеи",
# "Куала-Лумпурі") is found by what is left when one is cut off, on both sides.
_ENDINGS = {
    "ru": "ями ами ого его ому ему ой ей ою ею ом ем ам ям ах ях ов ев ий ый ая яя ую юю а я о е и ы у ю ь й",
    "uk": "ями ами ого ому ій ої ою ею ом ем ам ям ах ях ів їв ий а я о е и і ї у ю ь й є",
    "pl": "ami ach owi iem em om ą ę a e i y u o",
}
LOOSE = {lang: tuple(sorted(endings.split(), key=len, reverse=True)) for lang, endings in _ENDINGS.items()}
MIN_LOOSE = 4


def loose_key(lang: str, low: str) -> str | None:
    """A name's form with its case ending cut off, in the languages that decline names; None elsewhere."""
    endings = LOOSE.get(lang)
    if endings is None:
        return None
    for ending in endings:
        if low.endswith(ending) and len(low) - len(ending) >= MIN_LOOSE:
            return low[: -len(ending)]
    return low


class PhraseIndex:
    """Phrases of a language as sequences of keys, found in a text's words leftmost-longest (or all of them)."""

    def __init__(self) -> None:
        self.by_first: dict[str, list[tuple[tuple[str, ...], bool, object]]] = {}
        self.prefixes: dict[str, list[object]] = {}  # one-word patterns that match any word starting with them
        self.loose: dict[str, object] = {}  # one-word names by loose_key, tried when a capitalised word finds nothing
        self.lang = ""
        self._prefix_values: list[list[object]] = []
        self._prefix_matcher: ahocorasick_rs.AhoCorasick | None = None  # every word start in one pass

    def add(self, keys: tuple[str, ...], capital: bool, value: object) -> None:
        """Register a phrase (its words' keys; `capital`: its first word must be capitalised in the text)."""
        if keys:
            self.by_first.setdefault(keys[0], []).append((keys, capital, value))

    def add_prefix(self, prefix: str, value: object) -> None:
        """Register a word start ("санкци" for санкции, санкций, санкционный)."""
        self.prefixes.setdefault(prefix, []).append(value)

    def finish(self) -> None:
        """Order each first word's phrases longest first, and build the word starts' automaton."""
        for entries in self.by_first.values():
            entries.sort(key=lambda e: -len(e[0]))
        self._build_matcher()

    def _build_matcher(self) -> None:
        self._prefix_values = list(self.prefixes.values())
        self._prefix_matcher = (
            ahocorasick_rs.AhoCorasick(list(self.prefixes), matchkind=ahocorasick_rs.MatchKind.Standard)
            if self.prefixes
            else None
        )

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_prefix_matcher", "_prefix_values")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build_matcher()  # the automaton is not pickled: rebuilt when the cached tables load

    def add_loose(self, lang: str, low: str, value: object) -> None:
        """Register a one-word name by its loose key (the first registration wins)."""
        key = loose_key(lang, low)
        if key is not None:
            self.lang = lang
            self.loose.setdefault(key, value)

    def find(
        self, tokens: list[tuple[int, int, str, bool]], every: bool = False, low: str | None = None
    ) -> list[tuple[int, int, object]]:
        """(first token, token after the last, value) of each phrase in the tokens: leftmost-longest and without
        overlap, or with `every` each phrase that matches anywhere (all values of it). With `low` (the folded
        lower-case text), a capitalised word that starts no phrase is tried by its loose key."""
        out = []
        by_first = self.by_first
        loose = self.loose if low is not None else None
        size = len(tokens)
        i = 0
        while i < size:
            entries = by_first.get(tokens[i][2])
            step = 1
            if entries:
                for keys, capital, value in entries:
                    n = len(keys)
                    if i + n > size or (capital and not tokens[i][3]):
                        continue
                    if n == 1 or all(tokens[i + j][2] == keys[j] for j in range(1, n)):
                        out.append((i, i + n, value))
                        if not every:
                            step = n
                            break
            if loose and tokens[i][3] and (not out or out[-1][0] != i):
                start, end = tokens[i][0], tokens[i][1]
                value = loose.get(loose_key(self.lang, low[start:end]))
                if value is not None:
                    out.append((i, i + 1, value))
            i += step
        return out

    def find_prefixes(self, low: str, tokens: list[tuple[int, int, str, bool]]) -> list[tuple[int, object]]:
        """(token, value) for each word of `low` (the folded lower-case text) that starts with a registered prefix."""
        if self._prefix_matcher is None:
            return []
        starts = {t[0]: i for i, t in enumerate(tokens)}
        out = []
        values = self._prefix_values
        for which, start, end in self._prefix_matcher.find_matches_as_indexes(low, overlapping=True):
            index = starts.get(start)
            if index is not None and end <= tokens[index][1]:
                out.extend((index, v) for v in values[which])
        return out
