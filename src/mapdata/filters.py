"""The view's filters as one small dataclass: applied to stored frames, and round-tripped through the URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from .aggregate import border_pairs
from .frames import TONE_CODES, Frames, indexed, item_mask, mask_of, restrict
from .models import TONES, TOPICS, actor_key


def _positive(value: object) -> int:
    try:
        return max(1, min(int(str(value)), 100_000))
    except ValueError:
        return 1


def border_items(frames: Frames) -> pd.Series:
    """Ids of items with at least one relation line between two countries that share a land border."""
    frames = indexed(frames)
    rel = frames.relations
    bordering = border_pairs(frames.keys)[rel["pair_c"].to_numpy()]
    return rel.loc[bordering, "item_id"]


def _split(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        parts = [p for v in value for p in str(v).split(",")]
    else:
        parts = str(value).split(",")
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


@dataclass(frozen=True, slots=True)
class Filters:
    """What the user narrowed the view to; empty fields mean 'no restriction'."""

    start: date | None = None
    end: date | None = None
    topics: tuple[str, ...] = field(default=())
    countries: tuple[str, ...] = field(default=())
    organisations: tuple[str, ...] = field(default=())
    tones: tuple[str, ...] = field(default=())
    search: str = ""
    border_only: bool = False  # only items with a relation line between two neighbouring countries
    min_items: int = 1  # actors (and their lines) with fewer items in the view are hidden

    @property
    def active(self) -> bool:
        """True when any filter restricts the view."""
        return self != Filters()

    @classmethod
    def from_query(cls, query: Mapping[str, object]) -> "Filters":
        """Filters from URL query parameters; unknown or malformed values are dropped, never raised."""

        def day(key: str) -> date | None:
            try:
                return date.fromisoformat(str(query.get(key, ""))[:10])
            except ValueError:
                return None

        return cls(
            start=day("from"),
            end=day("to"),
            topics=tuple(t for t in _split(query.get("topics")) if t in TOPICS),
            countries=tuple(c.upper() for c in _split(query.get("countries"))),
            organisations=_split(query.get("orgs")),
            tones=tuple(t for t in _split(query.get("tone")) if t in TONES),
            search=str(query.get("q", "")).strip()[:200],
            border_only=str(query.get("border", "")).lower() in ("1", "true", "yes"),
            min_items=_positive(query.get("min")),
        )

    def to_query(self) -> dict[str, str]:
        """URL query parameters for these filters (only those that restrict)."""
        out: dict[str, str] = {}
        if self.start:
            out["from"] = self.start.isoformat()
        if self.end:
            out["to"] = self.end.isoformat()
        for key, values in (("topics", self.topics), ("countries", self.countries), ("orgs", self.organisations), ("tone", self.tones)):
            if values:
                out[key] = ",".join(values)
        if self.search:
            out["q"] = self.search
        if self.border_only:
            out["border"] = "1"
        if self.min_items > 1:
            out["min"] = str(self.min_items)
        return out

    def with_(self, **changes: object) -> "Filters":
        """A copy with some fields changed."""
        return replace(self, **changes)

    def apply(self, frames: Frames) -> Frames:
        """The frames restricted to the items that pass every filter."""
        frames = indexed(frames)
        items = frames.items
        keep = item_mask(frames)
        rows = np.ones(len(items), dtype=bool)
        if self.start:
            rows &= items["day"].to_numpy() >= np.datetime64(self.start)
        if self.end:
            rows &= items["day"].to_numpy() <= np.datetime64(self.end)
        if self.tones:
            rows &= np.isin(items["tone_c"].to_numpy(), [TONE_CODES[t] for t in self.tones])
        if self.search:
            needle = self.search.casefold()
            folded = _folded_texts(frames)[items.index.to_numpy()]
            rows &= np.fromiter((needle in text for text in folded), dtype=bool, count=len(items))
        keep[items.index.to_numpy()[~rows]] = False
        if self.topics:
            keep &= _having(frames.keys.size, frames.topics, frames.topics["topic"].isin(self.topics).to_numpy())
        for wanted in (self.countries, [actor_key(o, True) for o in self.organisations]):
            if wanted:
                codes = np.flatnonzero(np.isin(frames.keys.actors, list(wanted)))
                keep &= _having(frames.keys.size, frames.tags, np.isin(frames.tags["actor_c"].to_numpy(), codes))
        if self.border_only:
            bordering = border_pairs(frames.keys)[frames.relations["pair_c"].to_numpy()]
            keep &= _having(frames.keys.size, frames.relations, bordering)
        return restrict(frames, keep)


def _folded_texts(frames: Frames) -> np.ndarray:
    """The items' texts casefolded, by position; kept for the data set once made from all of its items."""
    folded = frames.keys.derived.get("folded")
    if folded is None:
        folded = np.empty(frames.keys.size, dtype=object)
        folded[frames.items.index.to_numpy()] = [text.casefold() for text in frames.items["text"]]
        if len(frames.items) == frames.keys.size:  # a view would leave the other items' texts out
            frames.keys.derived["folded"] = folded  # one assignment: sessions share the keys
    return folded


def _having(size: int, part: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """A boolean array over item positions: True for items with at least one row of `part` where `rows` holds."""
    return mask_of(size, part["pos"].to_numpy()[rows])
