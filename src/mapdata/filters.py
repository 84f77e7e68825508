"""The view's filters as one small dataclass: applied to stored frames, and round-tripped through the URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from .models import TONES, TOPICS, actor_key
from .aggregate import subset
from .store import Frames


def _positive(value: object) -> int:
    try:
        return max(1, min(int(str(value)), 100_000))
    except ValueError:
        return 1


def border_items(frames: Frames) -> pd.Series:
    """Ids of items with at least one relation line between two countries that share a land border."""
    from .gazetteer import load

    rel = frames.relations
    if rel.empty:
        return rel["item_id"]
    gaz = load()
    pairs = rel[["source", "target"]].drop_duplicates()
    bordering = {(a, b) for a, b in pairs.itertuples(index=False) if gaz.share_border(a, b)}
    mask = [(a, b) in bordering for a, b in zip(rel["source"], rel["target"])]
    return rel.loc[mask, "item_id"]


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
        items = frames.items
        mask = pd.Series(True, index=items.index)
        if self.start:
            mask &= items["date"] >= self.start
        if self.end:
            mask &= items["date"] <= self.end
        if self.tones:
            mask &= items["tone"].isin(self.tones)
        if self.search:
            mask &= items["text"].str.contains(self.search, case=False, regex=False)
        if self.topics:
            mask &= items["id"].isin(frames.topics.loc[frames.topics["topic"].isin(self.topics), "item_id"])
        if self.countries:
            mask &= items["id"].isin(frames.tags.loc[frames.tags["actor"].isin(self.countries), "item_id"])
        if self.organisations:
            keys = [actor_key(o, True) for o in self.organisations]
            mask &= items["id"].isin(frames.tags.loc[frames.tags["actor"].isin(keys), "item_id"])
        if self.border_only:
            mask &= items["id"].isin(border_items(frames))
        return subset(frames, items.loc[mask, "id"])
