"""The stored data as DataFrames, with integer lookups so that filtering and aggregating a view of 100,000 items
is a handful of numpy operations instead of string joins.

Every frame row carries `pos`, the position of its item in the whole data set; items keep that position as their
index, so a view (a subset) can be narrowed again without renumbering. Actors and actor pairs get integer codes
into tables shared by every view of the same data (`Keys`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .models import TONES

TONE_CODES = {tone: code for code, tone in enumerate(TONES)}


@dataclass(frozen=True)
class Keys:
    """Lookups shared by every view of one data set: actor keys and actor pairs by code, the item count."""

    size: int  # items in the whole data set; every `pos` is below it
    actors: np.ndarray  # actor key by actor code
    pair_a: np.ndarray  # actor code of the first (alphabetically smaller) side of each pair, by pair code
    pair_b: np.ndarray  # and of the other side
    # per-actor/pair arrays made on first use; sessions share them, so each entry is set whole, in one assignment
    derived: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Frames:
    """The stored data as DataFrames: one row per item, per tag, per topic, per relation."""

    items: pd.DataFrame
    tags: pd.DataFrame
    topics: pd.DataFrame
    relations: pd.DataFrame
    keys: Keys | None = field(default=None, compare=False, repr=False)


def _codes(values: pd.Series, lookup: pd.Index) -> np.ndarray:
    return lookup.get_indexer(values.to_numpy()).astype(np.int32)


def indexed(frames: Frames) -> Frames:
    """The frames with positions, codes and first-row flags added (unchanged when already indexed)."""
    if frames.keys is not None:
        return frames
    items = frames.items.reset_index(drop=True)
    ids = pd.Index(items["id"].to_numpy())
    tags = frames.tags.reset_index(drop=True)
    topics = frames.topics.reset_index(drop=True)
    relations = frames.relations.reset_index(drop=True)
    actors = pd.Index(sorted(set(tags["actor"]) | set(relations["source"]) | set(relations["target"])), dtype=object)
    day = pd.to_datetime(items["date"]).to_numpy(dtype="datetime64[ns]")
    newest = np.empty(len(items), dtype=np.int32)  # rank when sorted newest first, then by id
    newest[np.lexsort((items["id"].to_numpy(dtype=str), -day.astype(np.int64)))] = np.arange(len(items), dtype=np.int32)
    items = items.assign(
        tone_c=items["tone"].astype(object).map(TONE_CODES).fillna(TONE_CODES["neutral"]).astype(np.int8).to_numpy(),
        day=day,
        newest=newest,
    )
    tag_pos = _codes(tags["item_id"], ids)
    tag_actor = _codes(tags["actor"], actors)
    tags = tags.assign(pos=tag_pos, actor_c=tag_actor, first=~pd.DataFrame({"p": tag_pos, "a": tag_actor}).duplicated().to_numpy())
    topics = topics.assign(pos=_codes(topics["item_id"], ids))
    source, target = _codes(relations["source"], actors), _codes(relations["target"], actors)
    low, high = np.minimum(source, target), np.maximum(source, target)
    combined = low.astype(np.int64) * max(len(actors), 1) + high
    pair_codes, uniques = pd.factorize(combined, sort=True)
    width = max(len(actors), 1)
    rel_pos = _codes(relations["item_id"], ids)
    relations = relations.assign(
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


def mask_of(size: int, positions: np.ndarray) -> np.ndarray:
    """A boolean array over `size` item positions: True at `positions`."""
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return mask


def item_mask(frames: Frames) -> np.ndarray:
    """A boolean array over the whole data set's positions: True for the items of this view."""
    frames = indexed(frames)
    return mask_of(frames.keys.size, frames.items.index.to_numpy())


def by_position(frames: Frames, column: str) -> np.ndarray:
    """One item column spread over the whole data set's positions (zero where this view has no item), so that
    rows of the other frames look their item's value up by `pos`."""
    frames = indexed(frames)
    values = frames.items[column].to_numpy()
    out = np.zeros(frames.keys.size, dtype=values.dtype)
    out[frames.items.index.to_numpy()] = values
    return out


def restrict(frames: Frames, keep: np.ndarray) -> Frames:
    """The view narrowed to the items whose whole-set position is True in `keep` (a boolean array)."""
    frames = indexed(frames)
    here = keep[frames.items.index.to_numpy()]
    if here.all():
        return frames

    def rows(part: pd.DataFrame) -> pd.DataFrame:
        return part[keep[part["pos"].to_numpy()]]

    return Frames(frames.items[here], rows(frames.tags), rows(frames.topics), rows(frames.relations), frames.keys)


def by_ids(frames: Frames, ids) -> Frames:
    """The view narrowed to some item ids."""
    frames = indexed(frames)
    wanted = frames.items["id"].isin(set(ids)).to_numpy()
    return restrict(frames, mask_of(frames.keys.size, frames.items.index.to_numpy()[wanted]))
