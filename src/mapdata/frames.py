"""The stored data as DataFrames, with integer lookups so that filtering and aggregating a view of 100,000 items
is a handful of numpy operations instead of string joins.

Every frame row carries `pos`, the position of its item in the whole data set; items keep that position as their
index, so a view (a subset) can be narrowed again without renumbering. Actors and actor pairs get integer codes
into tables shared by every view of the same data (`Keys`), which also hold the per-actor and per-pair lookups
the views need (where each actor is drawn, which pairs share a border, how long each line is).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import gazetteer, geocode, geometry
from .models import TONES

TONE_CODES = {tone: code for code, tone in enumerate(TONES)}


class Spots(NamedTuple):
    """Per actor code: can it be placed, where, is it an organisation, its display name."""

    placeable: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    is_organisation: np.ndarray
    names: np.ndarray


@dataclass(frozen=True)
class Keys:
    """Lookups shared by every view of one data set: actor keys and actor pairs by code, the item count.

    The cached properties are made on first use and shared by every session; each is computed whole and set in
    one assignment, so a second thread sees either nothing (and computes it too) or all of it.
    """

    size: int  # items in the whole data set; every `pos` is below it
    actors: np.ndarray  # actor key by actor code
    pair_a: np.ndarray  # actor code of the first (alphabetically smaller) side of each pair, by pair code
    pair_b: np.ndarray  # and of the other side

    def bare(self) -> Keys:
        """The same keys without the lookups made so far (what a snapshot stores)."""
        return Keys(self.size, self.actors, self.pair_a, self.pair_b)

    @cached_property
    def code_of(self) -> dict[str, int]:
        """Actor code by actor key."""
        return {key: code for code, key in enumerate(self.actors)}

    @cached_property
    def pair_of(self) -> dict[tuple[int, int], int]:
        """Pair code by its two actor codes (smaller first)."""
        return {(int(a), int(b)): code for code, (a, b) in enumerate(zip(self.pair_a, self.pair_b, strict=True))}

    @cached_property
    def spots(self) -> Spots:
        """Where each actor is drawn, and its name."""
        gaz = gazetteer.load()
        found = [geocode.locate(k) for k in self.actors]
        return Spots(
            np.array([p is not None for p in found], dtype=bool),
            np.array([p.point.latitude if p else np.nan for p in found]),
            np.array([p.point.longitude if p else np.nan for p in found]),
            np.array([bool(p and p.is_organisation) for p in found], dtype=bool),
            np.array([gaz.name_of(k) for k in self.actors], dtype=object),
        )

    @cached_property
    def border(self) -> np.ndarray:
        """Per pair code: do its two sides (both countries) share a land border?"""
        gaz = gazetteer.load()
        return np.fromiter(
            (
                not (a.startswith("org:") or b.startswith("org:")) and gaz.share_border(a, b)
                for a, b in zip(self.actors[self.pair_a], self.actors[self.pair_b], strict=True)
            ),
            dtype=bool,
            count=len(self.pair_a),
        )

    @cached_property
    def km(self) -> np.ndarray:
        """Per pair code: great-circle length of the line between the two actors' points (NaN if unplaceable)."""
        spots = self.spots
        out = np.full(len(self.pair_a), np.nan)
        for code, (a, b) in enumerate(zip(self.pair_a, self.pair_b, strict=True)):
            if spots.placeable[a] and spots.placeable[b]:
                out[code] = geometry.distance_km((spots.lat[a], spots.lon[a]), (spots.lat[b], spots.lon[b]))
        return out


@dataclass(frozen=True)
class Frames:
    """The stored data as DataFrames: one row per item, per tag, per topic, per relation, made by `index`."""

    items: pd.DataFrame
    tags: pd.DataFrame
    topics: pd.DataFrame
    relations: pd.DataFrame
    keys: Keys

    @cached_property
    def story_count(self) -> int:
        """How many stories these items report (the reports of one event counted once)."""
        return int(self.items["story_c"].nunique())

    @cached_property
    def folded(self) -> np.ndarray:
        """The items' texts casefolded, by whole-set position (for text search); made once per Frames object,
        so once per data set when searched through the whole set's frames."""
        out = np.empty(self.keys.size, dtype=object)
        out[self.items.index.to_numpy()] = [text.casefold() for text in self.items["text"]]
        return out


def _codes(values: pd.Series, lookup: pd.Index) -> np.ndarray:
    return lookup.get_indexer(values.to_numpy()).astype(np.int32)


# A database driver makes a string per row: the tables of 100,000 items held 670,000 copies of their ids and a copy of
# a phrase or a source name per row, which a pickle (the snapshot) also wrote one by one, where it writes a string
# met again as a reference. Equal strings are made one object: the frames of the bench's 100,000 items hold 57 MB
# instead of 132 MB.


def _as_item_ids(values: pd.Series, ids: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Values that name items (a tag's item, a story's first item) as the very strings of the items' id column, by
    their positions there; one that is not among these items is kept as it was."""
    if not len(ids):
        return values.to_numpy()
    same = ids[pos]
    missing = pos < 0
    if missing.any():
        same[missing] = values.to_numpy()[missing]
    return same


def _shared(values: pd.Series) -> np.ndarray:
    """A column of few distinct strings (phrases, sources, lead actors) with each distinct one a single object; empty
    values (None) kept as they are."""
    array = values.to_numpy()
    codes, uniques = pd.factorize(array)
    shared = np.asarray(uniques, dtype=object)[codes]
    missing = codes < 0
    if missing.any():
        shared[missing] = array[missing]
    return shared


def index(items: pd.DataFrame, tags: pd.DataFrame, topics: pd.DataFrame, relations: pd.DataFrame) -> Frames:
    """Frames of a whole data set: positions, codes and first-row flags added to the four tables."""
    items = items.reset_index(drop=True)
    ids = pd.Index(items["id"].to_numpy())
    tags = tags.reset_index(drop=True)
    topics = topics.reset_index(drop=True)
    relations = relations.reset_index(drop=True)
    actors = pd.Index(sorted(set(tags["actor"]) | set(relations["source"]) | set(relations["target"])), dtype=object)
    day = pd.to_datetime(items["date"]).to_numpy(dtype="datetime64[ns]")
    newest = np.empty(len(items), dtype=np.int32)  # rank when sorted newest first, then by id
    newest[np.lexsort((items["id"].to_numpy(dtype=str), -day.astype(np.int64)))] = np.arange(len(items), dtype=np.int32)
    if "story" not in items:  # frames made from tagged items, not read from a store: each its own story
        items = items.assign(story=items["id"])
    id_values = ids.to_numpy()
    items = items.assign(
        story=_as_item_ids(items["story"], id_values, _codes(items["story"], ids)),
        source=_shared(items["source"]),
        lead_actor=_shared(items["lead_actor"]),
    )
    story_c, _ = pd.factorize(items["story"].to_numpy())
    reports = np.bincount(story_c, minlength=1)[story_c] if len(items) else np.zeros(0, dtype=np.int64)
    links = np.full(len(items), None, dtype=object)  # per item of a story of several reports: each (source, url)
    several = np.flatnonzero(reports > 1)
    if len(several):
        grouped: dict[int, list] = {}
        for i, source, url in zip(several, items["source"].to_numpy()[several], items["url"].to_numpy()[several]):
            grouped.setdefault(int(story_c[i]), []).append((source, url))
        # one tuple per story, which each of its reports holds: a tuple per report grew with the square of a story's
        # size (750 MB of the frames of the bench's 1,000,000 items)
        of_story = {story: tuple(pairs) for story, pairs in grouped.items()}
        for i in several:
            links[i] = of_story[int(story_c[i])]
    items = items.assign(
        links=links,
        tone_c=items["tone"].astype(object).map(TONE_CODES).fillna(TONE_CODES["neutral"]).astype(np.int8).to_numpy(),
        day=day,
        newest=newest,
        story_c=story_c.astype(np.int32),
        reports=reports.astype(np.int32),
    )
    tag_pos = _codes(tags["item_id"], ids)
    tag_actor = _codes(tags["actor"], actors)
    tags = tags.assign(
        item_id=_as_item_ids(tags["item_id"], id_values, tag_pos),
        phrase=_shared(tags["phrase"]),
        pos=tag_pos,
        actor_c=tag_actor,
        first=~pd.DataFrame({"p": tag_pos, "a": tag_actor}).duplicated().to_numpy(),
    )
    topic_pos = _codes(topics["item_id"], ids)
    topics = topics.assign(item_id=_as_item_ids(topics["item_id"], id_values, topic_pos), pos=topic_pos)
    source, target = _codes(relations["source"], actors), _codes(relations["target"], actors)
    low, high = np.minimum(source, target), np.maximum(source, target)
    width = max(len(actors), 1)
    combined = low.astype(np.int64) * width + high
    pair_codes, uniques = pd.factorize(combined, sort=True)
    rel_pos = _codes(relations["item_id"], ids)
    relations = relations.assign(
        item_id=_as_item_ids(relations["item_id"], id_values, rel_pos),
        pos=rel_pos,
        pair_c=pair_codes.astype(np.int32),
        forward=source == low,
        first=~pd.DataFrame({"p": rel_pos, "c": pair_codes}).duplicated().to_numpy(),
    )
    keys = Keys(
        size=len(items),
        actors=actors.to_numpy(dtype=object),
        pair_a=(np.asarray(uniques, dtype=np.int64) // width).astype(np.int32),
        pair_b=(np.asarray(uniques, dtype=np.int64) % width).astype(np.int32),
    )
    return Frames(items, tags, topics, relations, keys)


def first_reports(frames: Frames, keep: np.ndarray) -> np.ndarray:
    """`keep` (a boolean array over whole-set positions) narrowed to the first report (the oldest) of each
    story among the kept items of this view: what counts when a view counts stories."""
    positions = frames.items.index.to_numpy()
    here = keep[positions]
    kept = positions[here]
    story = frames.items["story_c"].to_numpy()[here]
    order = np.lexsort((-frames.items["newest"].to_numpy()[here], story))  # the oldest of a story first
    first = np.ones(len(order), dtype=bool)
    first[1:] = story[order][1:] != story[order][:-1]
    return mask_of(frames.keys.size, kept[order][first])


def mask_of(size: int, positions: np.ndarray) -> np.ndarray:
    """A boolean array over `size` item positions: True at `positions`."""
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return mask


def item_mask(frames: Frames) -> np.ndarray:
    """A boolean array over the whole data set's positions: True for the items of this view."""
    return mask_of(frames.keys.size, frames.items.index.to_numpy())


def by_position(frames: Frames, column: str) -> np.ndarray:
    """One item column spread over the whole data set's positions (zero where this view has no item), so that
    rows of the other frames look their item's value up by `pos`."""
    values = frames.items[column].to_numpy()
    out = np.zeros(frames.keys.size, dtype=values.dtype)
    out[frames.items.index.to_numpy()] = values
    return out


def restrict(frames: Frames, keep: np.ndarray) -> Frames:
    """The view narrowed to the items whose whole-set position is True in `keep` (a boolean array)."""
    here = keep[frames.items.index.to_numpy()]
    if here.all():
        return frames

    def rows(part: pd.DataFrame) -> pd.DataFrame:
        return part[keep[part["pos"].to_numpy()]]

    return Frames(frames.items[here], rows(frames.tags), rows(frames.topics), rows(frames.relations), frames.keys)


def having(frames: Frames, part: pd.DataFrame, rows: np.ndarray) -> Frames:
    """The view narrowed to the items with at least one row of `part` (one of its frames) where `rows` holds."""
    return restrict(frames, mask_of(frames.keys.size, part["pos"].to_numpy()[rows]))


def by_ids(frames: Frames, ids) -> Frames:
    """The view narrowed to some item ids."""
    wanted = frames.items["id"].isin(set(ids)).to_numpy()
    return restrict(frames, mask_of(frames.keys.size, frames.items.index.to_numpy()[wanted]))
