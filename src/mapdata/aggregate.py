"""Aggregates of a filtered view: one row per actor and per actor pair, and the items behind each."""

from __future__ import annotations

import pandas as pd

from . import gazetteer, geocode
from .models import split_key
from .store import Frames

ACTOR_COLUMNS = ["actor", "name", "is_organisation", "items", "tone", "lat", "lon"]
PAIR_COLUMNS = ["a", "b", "items", "tone", "border", "km", "lead"]


def _dominant(tones: pd.Series) -> str:
    counts = tones.value_counts()
    if counts.empty:
        return "neutral"
    top = counts[counts == counts.max()].index
    return top[0] if len(top) == 1 else "neutral"


def actors(frames: Frames) -> pd.DataFrame:
    """One row per actor in the view: item count, dominant tone and map position (unplaceable actors dropped)."""
    if frames.tags.empty:
        return pd.DataFrame(columns=ACTOR_COLUMNS)
    gaz = gazetteer.load()
    pairs = frames.tags[["item_id", "actor"]].drop_duplicates()
    joined = pairs.merge(frames.items[["id", "tone"]], left_on="item_id", right_on="id")
    rows = []
    for actor, group in joined.groupby("actor", sort=False):
        place = geocode.locate(actor)
        if place is None:
            continue
        rows.append(
            {
                "actor": actor,
                "name": gaz.name_of(actor),
                "is_organisation": place.is_organisation,
                "items": int(group["item_id"].nunique()),
                "tone": _dominant(group["tone"]),
                "lat": place.point.latitude,
                "lon": place.point.longitude,
            }
        )
    out = pd.DataFrame(rows, columns=ACTOR_COLUMNS)
    return out.sort_values(["items", "actor"], ascending=[False, True]).reset_index(drop=True)


def pairs(frames: Frames) -> pd.DataFrame:
    """One row per unordered actor pair joined by relation lines: count, tone, border flag, length, main lead."""
    if frames.relations.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    gaz = gazetteer.load()
    rel = frames.relations.merge(frames.items[["id", "tone"]], left_on="item_id", right_on="id")
    rel["a"] = rel[["source", "target"]].min(axis=1)
    rel["b"] = rel[["source", "target"]].max(axis=1)
    rows = []
    for (a, b), group in rel.groupby(["a", "b"], sort=False):
        km = geocode.distance_km(a, b)
        if km is None:
            continue
        rows.append(
            {
                "a": a,
                "b": b,
                "items": int(group["item_id"].nunique()),
                "tone": _dominant(group["tone"]),
                "border": not (split_key(a)[1] or split_key(b)[1]) and gaz.share_border(a, b),
                "km": round(km, 1),
                "lead": group["source"].value_counts().index[0],
            }
        )
    out = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    return out.sort_values(["items", "a", "b"], ascending=[False, True, True]).reset_index(drop=True)


def item_table(frames: Frames) -> pd.DataFrame:
    """Items newest first with their topics, countries and organisations as comma-separated text."""
    items = frames.items.copy()
    topic_map = frames.topics.groupby("item_id")["topic"].apply(lambda s: ", ".join(sorted(s)))
    tags = frames.tags
    is_org = tags["kind"] == "organisation"
    country_map = tags[~is_org].groupby("item_id")["actor"].apply(lambda s: ", ".join(sorted(set(s))))
    org_map = tags[is_org].groupby("item_id")["actor"].apply(lambda s: ", ".join(sorted({split_key(k)[0] for k in s})))
    items["topics"] = items["id"].map(topic_map).fillna("")
    items["countries"] = items["id"].map(country_map).fillna("")
    items["organisations"] = items["id"].map(org_map).fillna("")
    items["lead_actor"] = items["lead_actor"].map(lambda k: split_key(k)[0] if isinstance(k, str) else "")
    columns = ["date", "topics", "countries", "organisations", "tone", "lead_actor", "text", "source", "url", "id"]
    return items.sort_values(["date", "id"], ascending=[False, True])[columns].reset_index(drop=True)


def items_of_actor(frames: Frames, key: str) -> Frames:
    """The view narrowed to the items that involve one actor (by key)."""
    ids = frames.tags.loc[frames.tags["actor"] == key, "item_id"].unique()
    return _subset(frames, ids)


def items_of_pair(frames: Frames, a: str, b: str) -> Frames:
    """The view narrowed to the items whose relation lines join two actors."""
    rel = frames.relations
    mask = ((rel["source"] == a) & (rel["target"] == b)) | ((rel["source"] == b) & (rel["target"] == a))
    return _subset(frames, rel.loc[mask, "item_id"].unique())


def _subset(frames: Frames, ids) -> Frames:
    keep = set(ids)
    return Frames(
        frames.items[frames.items["id"].isin(keep)].reset_index(drop=True),
        frames.tags[frames.tags["item_id"].isin(keep)].reset_index(drop=True),
        frames.topics[frames.topics["item_id"].isin(keep)].reset_index(drop=True),
        frames.relations[frames.relations["item_id"].isin(keep)].reset_index(drop=True),
    )
