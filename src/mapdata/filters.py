"""The view's filters as one small dataclass, applied to stored frames (the dashboard binds each to the URL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from .frames import TONE_CODES, Frames, first_reports, item_mask, mask_of, restrict
from .models import actor_key


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
    every_report: bool = False  # count every report; by default the reports of one story count once
    min_confidence: float = 0.0  # items whose tone is less certain (or of unknown certainty) are left out
    languages: tuple[str, ...] = field(default=())  # ISO 639-1 codes; "" is an item whose language is not known

    @property
    def active(self) -> bool:
        """True when any filter restricts the view."""
        return self != Filters()

    def apply(self, frames: Frames) -> Frames:
        """The frames restricted to the items that pass every filter."""
        items = frames.items
        keep = item_mask(frames)
        rows = np.ones(len(items), dtype=bool)
        if self.start:
            rows &= items["day"].to_numpy() >= np.datetime64(self.start)
        if self.end:
            rows &= items["day"].to_numpy() <= np.datetime64(self.end)
        if self.tones:
            rows &= np.isin(items["tone_c"].to_numpy(), [TONE_CODES[t] for t in self.tones])
        if self.min_confidence > 0:
            sure = items["confidence"].to_numpy(dtype=float) if "confidence" in items else np.full(len(items), np.nan)
            rows &= np.nan_to_num(sure, nan=-1.0) >= self.min_confidence
        if self.languages:
            langs = items["lang"].astype(object).fillna("").to_numpy() if "lang" in items else np.full(len(items), "")
            rows &= np.isin(langs, list(self.languages))
        if self.search:
            needle = self.search.casefold()
            folded = frames.folded[items.index.to_numpy()]
            rows &= np.fromiter((needle in text for text in folded), dtype=bool, count=len(items))
        keep[items.index.to_numpy()[~rows]] = False
        if self.topics:
            keep &= _having(frames.keys.size, frames.topics, frames.topics["topic"].isin(self.topics).to_numpy())
        for wanted in (self.countries, [actor_key(o, True) for o in self.organisations]):
            if wanted:
                codes = np.flatnonzero(np.isin(frames.keys.actors, list(wanted)))
                keep &= _having(frames.keys.size, frames.tags, np.isin(frames.tags["actor_c"].to_numpy(), codes))
        if self.border_only:
            bordering = frames.keys.border[frames.relations["pair_c"].to_numpy()]
            keep &= _having(frames.keys.size, frames.relations, bordering)
        if not self.every_report and frames.story_count < len(frames.items):
            keep = first_reports(frames, keep)
        return restrict(frames, keep)


def _having(size: int, part: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """A boolean array over item positions: True for items with at least one row of `part` where `rows` holds."""
    return mask_of(size, part["pos"].to_numpy()[rows])
