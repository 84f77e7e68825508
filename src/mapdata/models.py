"""Small immutable values that flow through the pipeline: Item, Tag, TaggedItem, Place, Correction."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # geopy takes a tenth of a second to import, and only geocoding needs it
    from geopy import Point

TOPICS: tuple[str, ...] = (
    "diplomacy",
    "sanctions",
    "military",
    "border",
    "trade_energy",
    "travel_consular",
    "sovereignty",
    "domestic_politics",
    "humanitarian",
)
TONES: tuple[str, ...] = ("cooperation", "conflict", "neutral")
KINDS: tuple[str, ...] = ("name", "demonym", "capital", "place", "leader", "organisation", "manual")

ORG_PREFIX = "org:"


def actor_key(code: str, is_organisation: bool) -> str:
    """Internal key of an actor: the alpha-2 code for a country, 'org:' + acronym for an organisation.

    Organisation acronyms can equal country codes ('AU' is the African Union and Australia), so the
    store, the aggregates and the map key actors this way; output records use the plain codes.
    """
    return ORG_PREFIX + code if is_organisation else code


def split_key(key: str) -> tuple[str, bool]:
    """The plain code of an actor key and whether it is an organisation."""
    if key.startswith(ORG_PREFIX):
        return key[len(ORG_PREFIX) :], True
    return key, False


def normalise_text(text: str) -> str:
    """Canonical form of an item's text: NFC, whitespace collapsed, trimmed."""
    # str.split() splits on exactly the characters that the regex \s matches (str.isspace), several times faster
    return " ".join(unicodedata.normalize("NFC", text).split())


def item_id(day: date | None, text: str) -> str:
    """Stable id of an item: a hash of its date and normalised text."""
    key = f"{day.isoformat() if day else ''}\n{normalise_text(text)}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Item:
    """One news item as read from a feed, before tagging."""

    id: str
    date: date | None
    text: str
    source: str = ""
    url: str = ""
    origin: str = ""  # file and line it came from, for messages
    lang: str = ""  # the language the feed declares for it (ISO 639-1), if any: used when the text is too short

    @classmethod
    def create(
        cls,
        text: str,
        day: date | None,
        *,
        id: str | None = None,
        source: str = "",
        url: str = "",
        origin: str = "",
        lang: str = "",
    ) -> Item:
        """Build an item with normalised text and, unless given, its stable id."""
        clean = normalise_text(text)
        return cls(id=id or item_id(day, clean), date=day, text=clean, source=source, url=url, origin=origin, lang=lang)

    def dated(self, day: date) -> Item:
        """This undated item given a date (`mapdata ingest --date`): an id made from its text is made again with
        the date, so that ingesting the same file with the same date twice adds nothing twice; an id the feed
        gave is kept."""
        own = self.id == item_id(None, self.text)
        return replace(self, date=day, id=item_id(day, self.text) if own else self.id)


class Tag(NamedTuple):
    """One piece of evidence: a phrase in the text that names an actor (a tuple: cheap to make in bulk)."""

    actor: str  # ISO alpha-2 (or XK) for a country, an acronym for an organisation
    text: str
    start: int
    end: int
    kind: str  # one of KINDS
    manual: bool = False

    @property
    def is_organisation(self) -> bool:
        """True when the actor is an organisation, not a country."""
        return self.kind == "organisation"

    @property
    def key(self) -> str:
        """The actor's internal key (see actor_key)."""
        return actor_key(self.actor, self.kind == "organisation")


#: below this probability a tone or topic is marked uncertain in the panels (the review queue sorts by it)
UNSURE_BELOW = 0.6


class Confidence(NamedTuple):
    """Calibrated probabilities that the tone and each topic of an item are right (1.0: an analyst set them)."""

    tone: float
    topics: tuple[tuple[str, float], ...]  # (topic, p) for each of the item's topics

    def to_json(self) -> dict:
        """`{"tone": p, "topics": {"<topic>": p, ...}}`, as `mapdata tag` writes it."""
        return {"tone": self.tone, "topics": dict(self.topics)}


@dataclass(frozen=True, slots=True)
class TaggedItem:
    """An item with everything the tagger found."""

    item: Item
    countries: tuple[str, ...]
    organisations: tuple[str, ...]
    topics: tuple[str, ...]
    tone: str
    lead_actor: str | None
    evidence: tuple[Tag, ...] = field(default=())
    lead_key: str | None = None
    related: tuple[str, ...] | None = None  # the actors relation lines join the lead to; None: every other actor
    confidence: Confidence | None = None  # None: topics and tone from the lexicon's rules alone, uncalibrated
    lang: str = ""  # the language the text is in (ISO 639-1), as detected (language.detect)

    @property
    def keys(self) -> tuple[str, ...]:
        """Internal keys of every actor, countries first."""
        return self.countries + tuple(actor_key(o, True) for o in self.organisations)

    def relations(self) -> tuple[tuple[str, str], ...]:
        """Relation lines of this item as actor keys: the lead actor joined to the actors it is related to (a
        star; in a brief, every other actor)."""
        if self.lead_key is None:
            return ()
        return tuple(
            (self.lead_key, other)
            for other in self.keys
            if other != self.lead_key and (self.related is None or other in self.related)
        )

    @property
    def mentioned(self) -> tuple[str, ...]:
        """Actor keys the item names but does not relate to its lead actor (in an article, in passing)."""
        if self.related is None:
            return ()
        return tuple(k for k in self.keys if k != self.lead_key and k not in self.related)

    def to_json(self) -> dict:
        """The `mapdata tag` output record."""
        return {
            "id": self.item.id,
            "date": self.item.date.isoformat() if self.item.date else None,
            "lang": self.lang,
            "countries": list(self.countries),
            "organisations": list(self.organisations),
            "topics": list(self.topics),
            "tone": self.tone,
            "lead_actor": self.lead_actor,
            "evidence": [
                {"actor": t.actor, "text": t.text, "start": t.start, "end": t.end, "kind": t.kind}
                for t in self.evidence
            ],
            **({"confidence": self.confidence.to_json()} if self.confidence is not None else {}),
        }


@dataclass(frozen=True, slots=True)
class Place:
    """Where an actor is drawn: a geopy Point and a display name."""

    actor: str
    name: str
    point: Point
    is_organisation: bool = False


CORRECTION_FIELDS = ("actor", "topic", "tone", "review")
CORRECTION_ACTIONS = ("add", "remove", "set", "confirm")


@dataclass(frozen=True, slots=True)
class Correction:
    """One manual change of an item's tags: add or remove an actor (by key) or a topic, or set the tone; or a review
    that confirms the item's tags as they stand (field "review", action "confirm", no value)."""

    item_id: str
    field: str
    value: str
    action: str

    def __post_init__(self) -> None:
        if self.field not in CORRECTION_FIELDS or self.action not in CORRECTION_ACTIONS:
            raise ValueError(f"bad correction {self.field}/{self.action}")
        if (self.field == "review") != (self.action == "confirm"):
            raise ValueError("a review confirms, and only a review does")
        if self.field == "tone" and (self.action != "set" or self.value not in TONES):
            raise ValueError(f"tone must be set to one of {', '.join(TONES)}")
        if self.field == "topic" and self.value not in TOPICS:
            raise ValueError(f"unknown topic {self.value!r}")
        if self.field in ("actor", "topic") and self.action == "set":
            raise ValueError("actors and topics are added or removed, not set")
