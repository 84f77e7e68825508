"""Aggregates of a filtered view: one row per actor and per actor pair, and the items behind each."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .frames import Frames, by_position, having, mask_of, restrict
from .models import TONES, UNSURE_BELOW, split_key

# "unsure": how many of the items counted have a tone the tagger is unsure of (below UNSURE_BELOW): where they are
# most of them, the map marks the colour as uncertain (mapview)
ACTOR_COLUMNS = ["actor", "name", "is_organisation", "items", "tone", "lat", "lon", "unsure"]
PAIR_COLUMNS = ["a", "b", "items", "tone", "border", "km", "lead", "unsure"]


def _dominant_codes(counts: np.ndarray) -> np.ndarray:
    """Per row of tone counts (columns in TONES order): the tone name with the most items, neutral on a tie."""
    top = counts.max(axis=1, keepdims=True)
    winners = (counts == top).sum(axis=1)
    best = np.asarray(TONES, dtype=object)[counts.argmax(axis=1)]
    return np.where(winners == 1, best, "neutral")


def colour_unsure(unsure: int, items: int) -> bool:
    """Whether the colour of a marker or a line rests on uncertain tones: those of most of its items are."""
    return unsure * 2 > items


def _unsure(frames: Frames) -> np.ndarray:
    """Over the whole data set's positions: True for the view's items whose tone confidence is known and below
    UNSURE_BELOW (an item of unknown confidence is not marked)."""
    if "confidence" not in frames.items:
        return np.zeros(frames.keys.size, dtype=bool)
    return by_position(frames, "confidence").astype(float) < UNSURE_BELOW  # NaN: unknown, never below


def _tone_counts(codes: np.ndarray, tones: np.ndarray, width: int) -> np.ndarray:
    """A (width x 3) matrix: how many rows of each code have each tone."""
    flat = np.bincount(codes.astype(np.int64) * len(TONES) + tones, minlength=width * len(TONES))
    return flat.reshape(width, len(TONES))


def actors(frames: Frames, min_items: int = 1) -> pd.DataFrame:
    """One row per actor in the view with at least `min_items` items: count, dominant tone, map position
    (unplaceable actors dropped)."""
    keys = frames.keys
    first = frames.tags["first"].to_numpy()
    if not first.any():
        return pd.DataFrame(columns=ACTOR_COLUMNS)
    pos, codes = frames.tags["pos"].to_numpy()[first], frames.tags["actor_c"].to_numpy()[first]
    counts = _tone_counts(codes, by_position(frames, "tone_c")[pos], len(keys.actors))
    totals = counts.sum(axis=1)
    unsure = np.bincount(codes, weights=_unsure(frames)[pos], minlength=len(keys.actors))
    placeable, lat, lon, is_org, names = keys.spots
    chosen = np.flatnonzero((totals >= max(min_items, 1)) & placeable)
    out = pd.DataFrame(
        {
            "actor": keys.actors[chosen],
            "name": names[chosen],
            "is_organisation": is_org[chosen],
            "items": totals[chosen].astype(int),
            "tone": _dominant_codes(counts[chosen]),
            "lat": lat[chosen],
            "lon": lon[chosen],
            "unsure": unsure[chosen].astype(int),
        },
        columns=ACTOR_COLUMNS,
    )
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
    keys = frames.keys
    rel = frames.relations
    first = rel["first"].to_numpy()
    if not first.any():
        return pd.DataFrame(columns=PAIR_COLUMNS)
    width = len(keys.pair_a)
    codes = rel["pair_c"].to_numpy()[first]
    pos = rel["pos"].to_numpy()[first]
    counts = _tone_counts(codes, by_position(frames, "tone_c")[pos], width)
    totals = counts.sum(axis=1)
    unsure = np.bincount(codes, weights=_unsure(frames)[pos], minlength=width)
    forward = np.bincount(codes, weights=rel["forward"].to_numpy()[first], minlength=width)
    placeable = keys.spots.placeable
    chosen = totals > 0
    chosen &= placeable[keys.pair_a] & placeable[keys.pair_b]
    if keep is not None:
        shown = np.isin(keys.actors, list(keep))
        chosen &= shown[keys.pair_a] & shown[keys.pair_b]
    border = keys.border
    if border_only:
        chosen &= border
    index = np.flatnonzero(chosen)
    a, b = keys.actors[keys.pair_a[index]], keys.actors[keys.pair_b[index]]
    out = pd.DataFrame(
        {
            "a": a,
            "b": b,
            "items": totals[index].astype(int),
            "tone": _dominant_codes(counts[index]),
            "border": border[index],
            "km": np.round(keys.km[index], 1),
            "lead": np.where(forward[index] * 2 >= totals[index], a, b),
            "unsure": unsure[index].astype(int),
        },
        columns=PAIR_COLUMNS,
    )
    return out.sort_values(["items", "a", "b"], ascending=[False, True, True]).reset_index(drop=True)


def view(frames: Frames, min_items: int = 1, border_only: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The map's two aggregates for a filtered view: actors, and the pairs among the actors shown."""
    actor_rows = actors(frames, min_items)
    return actor_rows, pairs(frames, set(actor_rows["actor"]), border_only)


def _periods(days: np.ndarray, unit: str) -> np.ndarray:
    """Days (datetime64) as the start of their period: the day itself, or the Monday of its week."""
    days = days.astype("datetime64[D]")
    if unit == "week":
        days = days - ((days.astype(np.int64) + 3) % 7).astype("timedelta64[D]")  # 1970-01-01 was a Thursday
    return days.astype("datetime64[ns]")


def period_unit(frames: Frames) -> str:
    """'day' for a view that spans up to 90 days, else 'week'."""
    days = frames.items["day"].to_numpy()
    return "day" if not len(days) or (days.max() - days.min()) <= np.timedelta64(90, "D") else "week"


def timeline(frames: Frames) -> tuple[pd.DataFrame, str]:
    """Item counts per period and topic, by day for spans up to 90 days, else by week (Mondays)."""
    items = frames.items
    if items.empty:
        return pd.DataFrame(columns=["period", "topic", "items"]), "day"
    unit = period_unit(frames)
    day = by_position(frames, "day")
    topic_pos = frames.topics["pos"].to_numpy()
    has_topic = np.zeros(frames.keys.size, dtype=bool)
    has_topic[topic_pos] = True
    untopical = items.index.to_numpy()[~has_topic[items.index.to_numpy()]]
    rows = pd.DataFrame(
        {
            "period": _periods(np.concatenate([day[topic_pos], day[untopical]]), unit),
            "topic": np.concatenate(
                [frames.topics["topic"].to_numpy(dtype=object), np.full(len(untopical), "(none)", dtype=object)]
            ),
            "pos": np.concatenate([topic_pos, untopical]),
        }
    ).drop_duplicates()
    counts = rows.groupby(["period", "topic"]).size().reset_index(name="items")
    return counts.sort_values(["period", "topic"]).reset_index(drop=True), unit


def country_timeline(frames: Frames, keys: list[str], unit: str) -> pd.DataFrame:
    """Item counts per period for each of some actors."""
    if not keys or frames.items.empty:
        return pd.DataFrame(columns=["period", "actor", "items"])
    codes = np.flatnonzero(np.isin(frames.keys.actors, keys))
    tags = frames.tags
    rows = tags["first"].to_numpy() & np.isin(tags["actor_c"].to_numpy(), codes)
    pos = tags["pos"].to_numpy()[rows]
    table = pd.DataFrame(
        {
            "period": _periods(by_position(frames, "day")[pos], unit),
            "actor": frames.keys.actors[tags["actor_c"].to_numpy()[rows]],
        }
    )
    counts = table.groupby(["period", "actor"]).size().reset_index(name="items")
    return counts.sort_values(["period", "actor"]).reset_index(drop=True)


def _directed(frames: Frames) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per relation row: source actor code, target actor code, item position, item tone code."""
    rel = frames.relations
    keys = frames.keys
    pair = rel["pair_c"].to_numpy()
    forward = rel["forward"].to_numpy()
    a, b = keys.pair_a[pair], keys.pair_b[pair]
    pos = rel["pos"].to_numpy()
    return np.where(forward, a, b), np.where(forward, b, a), pos, by_position(frames, "tone_c")[pos]


def _directed_counts(source, target, pos, tones, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct items and tone counts per (source, target) code: flat arrays indexed source * width + target."""
    key = source.astype(np.int64) * width + target
    unique = ~pd.DataFrame({"k": key, "p": pos}).duplicated().to_numpy()
    items = np.bincount(key[unique], minlength=width * width)
    return items, _tone_counts(key, tones, width * width)


def matrix(frames: Frames, top: int = 15) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who acts on whom among the `top` actors: counts (rows: lead actor, columns: target) and dominant tones."""
    if frames.relations.empty:
        empty = pd.DataFrame()
        return empty, empty
    source, target, pos, tones = _directed(frames)
    width = len(frames.keys.actors)
    mentions = np.bincount(source, minlength=width) + np.bincount(target, minlength=width)
    busiest = [
        int(c) for c in sorted(np.flatnonzero(mentions), key=lambda c: (-mentions[c], frames.keys.actors[c]))[:top]
    ]
    inside = np.isin(source, busiest) & np.isin(target, busiest)
    items, tone_counts = _directed_counts(source[inside], target[inside], pos[inside], tones[inside], width)
    grid = np.add.outer(np.array(busiest, dtype=np.int64) * width, np.array(busiest, dtype=np.int64))
    labels = frames.keys.actors[busiest]
    counts = pd.DataFrame(items[grid], index=labels, columns=labels)
    dominant = _dominant_codes(tone_counts[grid.ravel()]).reshape(grid.shape)
    tone_table = pd.DataFrame(np.where(items[grid] > 0, dominant, None), index=labels, columns=labels)
    counts.index.name, counts.columns.name = "source", "target"
    return counts, tone_table


def ego(frames: Frames, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For one actor: whom it acts on, and who acts on it (counts and dominant tone per counterpart)."""
    width = len(frames.keys.actors)
    source, target, pos, tones = _directed(frames)
    found = np.flatnonzero(frames.keys.actors == key)
    code = int(found[0]) if len(found) else -1

    def side(mine: np.ndarray, other: np.ndarray) -> pd.DataFrame:
        rows = mine == code
        if not rows.any():
            return pd.DataFrame(columns=["actor", "items", "tone"])
        unique = ~pd.DataFrame({"o": other[rows], "p": pos[rows]}).duplicated().to_numpy()
        items = np.bincount(other[rows][unique], minlength=width)
        tone_counts = _tone_counts(other[rows], tones[rows], width)
        present = np.flatnonzero(items)
        out = pd.DataFrame(
            {
                "actor": frames.keys.actors[present],
                "items": items[present].astype(int),
                "tone": _dominant_codes(tone_counts[present]),
            }
        )
        return out.sort_values(["items", "actor"], ascending=[False, True]).reset_index(drop=True)

    return side(source, target), side(target, source)


def newest_first(frames: Frames, limit: int | None = None) -> Frames:
    """The view's items sorted newest first (then by id), cut to the first `limit` when given."""
    order = frames.items.sort_values("newest")
    if limit is not None and len(order) > limit:
        order = order.head(limit)
        cut = restrict(frames, mask_of(frames.keys.size, order.index.to_numpy()))
        return Frames(order, cut.tags, cut.topics, cut.relations, cut.keys)
    return Frames(order, frames.tags, frames.topics, frames.relations, frames.keys)


def least_sure_first(frames: Frames) -> list[str]:
    """The ids of the items whose tone confidence is known, least confident first (ties by id): the order of the
    review queue (store.review_queue)."""
    items = frames.items
    if "confidence" not in items:
        return []
    known = items[items["confidence"].notna()]
    return known.sort_values(["confidence", "id"], kind="stable")["id"].astype(str).tolist()


def _joined(values: pd.DataFrame, column: str, by: str = "pos") -> pd.Series:
    """Per item position: the distinct values of one column, sorted and comma-separated."""
    if values.empty:
        return pd.Series(dtype=object)
    distinct = pd.DataFrame({by: values[by].to_numpy(), column: values[column].to_numpy(dtype=object)})
    distinct = distinct.drop_duplicates().sort_values([by, column])
    return distinct.groupby(by, sort=False)[column].agg(", ".join)


def item_table(frames: Frames, limit: int | None = None) -> pd.DataFrame:
    """Items newest first (the first `limit` when given) with their topics, countries and organisations as
    comma-separated text."""
    frames = newest_first(frames, limit)
    items = frames.items
    tags = frames.tags
    is_org = (tags["kind"] == "organisation").to_numpy()
    orgs = tags[is_org].assign(actor=lambda t: t["actor"].str.removeprefix("org:"))
    pos = items.index
    out = pd.DataFrame(
        {
            "date": items["date"],
            "topics": pos.map(_joined(frames.topics, "topic")),
            "countries": pos.map(_joined(tags[~is_org], "actor")),
            "organisations": pos.map(_joined(orgs, "actor")),
            "tone": items["tone"],
            "lead_actor": items["lead_actor"].map(lambda k: split_key(k)[0] if isinstance(k, str) else ""),
            "text": items["text"],
            "source": items["source"],
            "url": items["url"],
            "id": items["id"],
            "story": items["story"],  # the id of the story's first report: rows that share it report one event
            "reports": items["reports"],
            # p(the tone is right), calibrated; 1.0: an analyst set or confirmed it; empty: not known. Last, so
            # that the columns before it keep their places in a reader's spreadsheet
            "tone_confidence": items.get("confidence", np.nan),
            "lang": items["lang"].astype(object).fillna("") if "lang" in items else "",  # ISO 639-1, as detected
        }
    )
    for column in ("topics", "countries", "organisations"):
        out[column] = out[column].fillna("")
    return out.reset_index(drop=True)


def trend_events(frames: Frames) -> pd.DataFrame:
    """One row per (item, series) of a view, for `trends.period_counts`: `date` (the item's day), `kind` ("actor",
    "pair" or "topic") and `key` (an actor key, a pair 'A|B' with the smaller key first, a topic). In a view that
    counts stories, each item is a story's first report, so these count stories."""
    day = by_position(frames, "day")
    tags = frames.tags[frames.tags["first"].to_numpy()]
    relations = frames.relations[frames.relations["first"].to_numpy()]
    keys = frames.keys
    pair_names = np.array(
        [f"{min(a, b)}|{max(a, b)}" for a, b in zip(keys.actors[keys.pair_a], keys.actors[keys.pair_b], strict=True)],
        dtype=object,
    )
    parts = [
        pd.DataFrame({"date": day[tags["pos"].to_numpy()], "kind": "actor", "key": keys.actors[tags["actor_c"]]}),
        pd.DataFrame(
            {"date": day[relations["pos"].to_numpy()], "kind": "pair", "key": pair_names[relations["pair_c"]]}
        ),
        pd.DataFrame(
            {
                "date": day[frames.topics["pos"].to_numpy()],
                "kind": "topic",
                "key": frames.topics["topic"].astype(str).to_numpy(),
            }
        ),
    ]
    events = pd.concat(parts, ignore_index=True)
    events["date"] = pd.to_datetime(events["date"])
    return events


def actors_with_items_after(frames: Frames, moment: pd.Timestamp) -> list[str]:
    """The keys of the actors with at least one item of this view stored after `moment`."""
    added = frames.items["added_at"]
    recent = frames.items.index.to_numpy()[(added > moment).to_numpy()]
    tags = frames.tags
    codes = np.unique(tags["actor_c"].to_numpy()[np.isin(tags["pos"].to_numpy(), recent)])
    return [str(k) for k in frames.keys.actors[codes]]


def items_of_actor(frames: Frames, key: str) -> Frames:
    """The view narrowed to the items that involve one actor (by key)."""
    code = np.flatnonzero(frames.keys.actors == key)
    rows = frames.tags["actor_c"].to_numpy() == (code[0] if len(code) else -1)
    return having(frames, frames.tags, rows)


def items_of_pair(frames: Frames, a: str, b: str) -> Frames:
    """The view narrowed to the items whose relation lines join two actors."""
    keys = frames.keys
    codes = {k: np.flatnonzero(keys.actors == k) for k in (a, b)}
    if not all(len(c) for c in codes.values()):
        return having(frames, frames.relations, np.zeros(len(frames.relations), dtype=bool))
    low, high = sorted((int(codes[a][0]), int(codes[b][0])))
    pair = np.flatnonzero((keys.pair_a == low) & (keys.pair_b == high))
    rows = frames.relations["pair_c"].to_numpy() == (pair[0] if len(pair) else -1)
    return having(frames, frames.relations, rows)


def newest(frames: Frames, actor_keys: list[str], pair_keys: list[tuple[str, str]], k: int) -> tuple[dict, dict]:
    """The positions of the `k` newest items of each actor and of each actor pair (newest first), for popups."""
    keys = frames.keys
    codes, pair_index = keys.code_of, keys.pair_of
    rank = np.zeros(keys.size, dtype=np.int32)
    rank[frames.items.index.to_numpy()] = frames.items["newest"].to_numpy()

    def top(part: pd.DataFrame, column: str, wanted: dict[int, object]) -> dict:
        rows = part["first"].to_numpy() & np.isin(part[column].to_numpy(), list(wanted))
        pos = part["pos"].to_numpy()[rows]
        table = pd.DataFrame({"g": part[column].to_numpy()[rows], "rank": rank[pos], "pos": pos})
        table = table.sort_values(["g", "rank"]).groupby("g", sort=False).head(k)
        return {wanted[g]: list(p) for g, p in table.groupby("g", sort=False)["pos"]}

    actors_wanted = {codes[a]: a for a in actor_keys if a in codes}
    pairs_wanted = {}
    for a, b in pair_keys:
        if a in codes and b in codes:
            low, high = sorted((codes[a], codes[b]))
            if (low, high) in pair_index:
                pairs_wanted[pair_index[(low, high)]] = (a, b)
    return top(frames.tags, "actor_c", actors_wanted), top(frames.relations, "pair_c", pairs_wanted)


def per_period(frames: Frames, actor_keys: list[str], pair_keys: list[tuple[str, str]], unit: str) -> dict:
    """Items per period of some actors and actor pairs (for stepping through time on the map):
    {"periods": [first day of each period, ISO], "actors": {key: [[period index, items]...]},
    "pairs": {(a, b): [[period index, items]...]}}; only periods with items are listed."""
    keys = frames.keys
    day = by_position(frames, "day")
    periods = np.unique(_periods(frames.items["day"].to_numpy(), unit))
    out: dict = {"periods": [str(p)[:10] for p in periods], "actors": {}, "pairs": {}}
    if not len(periods):
        return out

    def series(part: pd.DataFrame, column: str, wanted: dict[int, object], into: dict) -> None:
        rows = part["first"].to_numpy() & np.isin(part[column].to_numpy(), list(wanted))
        at = np.searchsorted(periods, _periods(day[part["pos"].to_numpy()[rows]], unit))
        combined = part[column].to_numpy()[rows].astype(np.int64) * len(periods) + at
        found, counts = np.unique(combined, return_counts=True)  # sorted: by code, then by period
        codes, ats = np.divmod(found, len(periods))
        starts = np.flatnonzero(np.diff(codes)) + 1
        for code, at_, n in zip(np.split(codes, starts), np.split(ats, starts), np.split(counts, starts), strict=True):
            if len(code):
                into[wanted[int(code[0])]] = np.column_stack([at_, n]).tolist()

    series(frames.tags, "actor_c", {keys.code_of[k]: k for k in actor_keys if k in keys.code_of}, out["actors"])
    pair_codes = {}
    for a, b in pair_keys:
        if a in keys.code_of and b in keys.code_of:
            low, high = sorted((keys.code_of[a], keys.code_of[b]))
            if (low, high) in keys.pair_of:
                pair_codes[keys.pair_of[(low, high)]] = (a, b)
    series(frames.relations, "pair_c", pair_codes, out["pairs"])
    return out


def fit_actors(frames: Frames, actor_rows: pd.DataFrame, share: float = 0.95, always: float = 0.02) -> list[str]:
    """The actors a first view of the map should show: the busiest ones that together involve `share` of the
    items that name any actor drawn, and every actor that holds at least `always` of the items."""
    if actor_rows.empty:
        return []
    keys = frames.keys
    tags = frames.tags[frames.tags["first"].to_numpy()]
    codes = [keys.code_of[k] for k in actor_rows["actor"]]  # busiest first
    tag_pos, tag_actor = tags["pos"].to_numpy(), tags["actor_c"].to_numpy()
    positions = {int(code): tag_pos[rows] for code, rows in pd.Series(tag_actor).groupby(tag_actor).indices.items()}
    covered = np.zeros(keys.size, dtype=bool)
    coverable = mask_of(keys.size, tags.loc[np.isin(tags["actor_c"].to_numpy(), codes), "pos"].to_numpy()).sum()
    total = len(frames.items)
    chosen = []
    for key, code, items in zip(actor_rows["actor"], codes, actor_rows["items"], strict=True):
        short = covered.sum() < share * coverable
        if not short and items < always * total:
            break  # the rest are smaller still
        chosen.append(key)
        covered[positions.get(code, np.empty(0, dtype=np.int64))] = True
    return chosen
