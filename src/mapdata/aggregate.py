"""Aggregates of a filtered view: one row per actor and per actor pair, and the items behind each."""

from __future__ import annotations

import math

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


def actors(frames: Frames, min_items: int = 1) -> pd.DataFrame:
    """One row per actor in the view with at least `min_items` items: count, dominant tone, map position
    (unplaceable actors dropped)."""
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
    out = out[out["items"] >= min_items]
    return _spread(out.sort_values(["items", "actor"], ascending=[False, True]).reset_index(drop=True))


def _spread(rows: pd.DataFrame, radius: float = 0.6) -> pd.DataFrame:
    """Actors that share a spot (EU and NATO in Brussels, UN agencies in Geneva) placed on a small ring
    around it, so that every marker can be clicked."""
    if rows.empty:
        return rows
    spot = list(zip(rows["lat"].round(2), rows["lon"].round(2)))
    groups: dict[tuple, list[int]] = {}
    for index, key in enumerate(spot):
        groups.setdefault(key, []).append(index)
    lat, lon = rows["lat"].to_numpy(copy=True), rows["lon"].to_numpy(copy=True)
    for members in groups.values():
        if len(members) > 1:
            for k, index in enumerate(members):
                angle = 2 * math.pi * k / len(members)
                lat[index] += radius * math.cos(angle)
                lon[index] += radius * math.sin(angle) / max(math.cos(math.radians(lat[index])), 0.2)
    return rows.assign(lat=lat, lon=lon)


def pairs(frames: Frames, keep: set[str] | None = None, border_only: bool = False) -> pd.DataFrame:
    """One row per unordered actor pair joined by relation lines: count, tone, border flag, length, and the
    lead (the side that acts most often, where the arrow starts); only pairs of `keep` actors when given."""
    if frames.relations.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    gaz = gazetteer.load()
    rel = frames.relations.merge(frames.items[["id", "tone"]], left_on="item_id", right_on="id")
    if keep is not None:
        rel = rel[rel["source"].isin(keep) & rel["target"].isin(keep)]
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
    if border_only:
        out = out[out["border"].astype(bool)]
    return out.sort_values(["items", "a", "b"], ascending=[False, True, True]).reset_index(drop=True)


def view(frames: Frames, min_items: int = 1, border_only: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The map's two aggregates for a filtered view: actors, and the pairs among the actors shown."""
    actor_rows = actors(frames, min_items)
    return actor_rows, pairs(frames, set(actor_rows["actor"]), border_only)


def timeline(frames: Frames) -> tuple[pd.DataFrame, str]:
    """Item counts per period and topic, by day for spans up to 90 days, else by week (Mondays)."""
    items = frames.items
    if items.empty:
        return pd.DataFrame(columns=["period", "topic", "items"]), "day"
    days = pd.to_datetime(items["date"])
    unit = "day" if (days.max() - days.min()).days <= 90 else "week"
    period = days.dt.to_period("W-SUN").dt.start_time if unit == "week" else days
    dated = pd.DataFrame({"item_id": items["id"], "period": period.values})
    joined = dated.merge(frames.topics, on="item_id", how="left").fillna({"topic": "(none)"})
    counts = joined.groupby(["period", "topic"])["item_id"].nunique().reset_index(name="items")
    return counts.sort_values(["period", "topic"]).reset_index(drop=True), unit


def country_timeline(frames: Frames, keys: list[str], unit: str) -> pd.DataFrame:
    """Item counts per period for each of some actors."""
    if not keys or frames.items.empty:
        return pd.DataFrame(columns=["period", "actor", "items"])
    tags = frames.tags[frames.tags["actor"].isin(keys)][["item_id", "actor"]].drop_duplicates()
    dates = frames.items.set_index("id")["date"]
    days = pd.to_datetime(tags["item_id"].map(dates))
    tags = tags.assign(period=days.dt.to_period("W-SUN").dt.start_time if unit == "week" else days)
    counts = tags.groupby(["period", "actor"])["item_id"].nunique().reset_index(name="items")
    return counts.sort_values(["period", "actor"]).reset_index(drop=True)


def matrix(frames: Frames, top: int = 15) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who acts on whom among the `top` actors: counts (rows: lead actor, columns: target) and dominant tones."""
    rel = frames.relations.merge(frames.items[["id", "tone"]], left_on="item_id", right_on="id")
    if rel.empty:
        empty = pd.DataFrame()
        return empty, empty
    busiest = pd.concat([rel["source"], rel["target"]]).value_counts().head(top).index.tolist()
    rel = rel[rel["source"].isin(busiest) & rel["target"].isin(busiest)]
    counts = rel.groupby(["source", "target"])["item_id"].nunique().unstack(fill_value=0)
    counts = counts.reindex(index=busiest, columns=busiest, fill_value=0)
    tones = rel.groupby(["source", "target"])["tone"].agg(_dominant).unstack().reindex(index=busiest, columns=busiest)
    return counts, tones


def ego(frames: Frames, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For one actor: whom it acts on, and who acts on it (counts and dominant tone per counterpart)."""
    rel = frames.relations.merge(frames.items[["id", "tone"]], left_on="item_id", right_on="id")

    def side(mask, other: str) -> pd.DataFrame:
        part = rel[mask]
        if part.empty:
            return pd.DataFrame(columns=["actor", "items", "tone"])
        grouped = part.groupby(other).agg(items=("item_id", "nunique"), tone=("tone", _dominant)).reset_index()
        return grouped.rename(columns={other: "actor"}).sort_values(["items", "actor"], ascending=[False, True]).reset_index(drop=True)

    return side(rel["source"] == key, "target"), side(rel["target"] == key, "source")


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
    return subset(frames, ids)


def items_of_pair(frames: Frames, a: str, b: str) -> Frames:
    """The view narrowed to the items whose relation lines join two actors."""
    rel = frames.relations
    mask = ((rel["source"] == a) & (rel["target"] == b)) | ((rel["source"] == b) & (rel["target"] == a))
    return subset(frames, rel.loc[mask, "item_id"].unique())


def subset(frames: Frames, ids) -> Frames:
    """The frames restricted to some item ids."""
    keep = set(ids)
    return Frames(
        frames.items[frames.items["id"].isin(keep)].reset_index(drop=True),
        frames.tags[frames.tags["item_id"].isin(keep)].reset_index(drop=True),
        frames.topics[frames.topics["item_id"].isin(keep)].reset_index(drop=True),
        frames.relations[frames.relations["item_id"].isin(keep)].reset_index(drop=True),
    )
