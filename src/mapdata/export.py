"""Export a filtered view as CSV, JSON Lines (items with tags and evidence) or GeoJSON (the map's layers)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator

from . import aggregate, geometry
from .frames import Frames
from .models import split_key

FORMATS = ("csv", "jsonl", "geojson")
# what a spreadsheet reads as the start of a formula (OWASP, CSV injection); a plain number is no formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as written: text that would start a formula (`=HYPERLINK(...)`, `+cmd|...`,
    `@SUM`, a leading tab or carriage return) gets a single quote in front, as OWASP advises; numbers and other
    text are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def to_csv(frames: Frames) -> str:
    """The item table (date, topics, countries, organisations, tone, lead actor, text, source, url, id), with
    every cell safe to open in a spreadsheet."""
    return aggregate.item_table(frames).map(safe_cell).to_csv(index=False)


def jsonl_records(frames: Frames) -> Iterator[dict]:
    """One record per item in the `mapdata tag` shape, plus text, source and url; evidence marks manual tags."""
    topics = frames.topics.groupby("item_id")["topic"].apply(sorted).to_dict()
    sure = frames.topics.dropna(subset=["confidence"]) if "confidence" in frames.topics else frames.topics.iloc[:0]
    topic_p = {(i, t): float(p) for i, t, p in zip(sure["item_id"], sure["topic"], sure["confidence"])}
    evidence: dict[str, list[dict]] = {}
    for row in frames.tags.itertuples(index=False):
        code, is_org = split_key(row.actor)
        evidence.setdefault(row.item_id, []).append(
            {
                "actor": code,
                "organisation": is_org,
                "text": row.phrase,
                "start": int(row.start),
                "end": int(row.end),
                "kind": row.kind,
                "manual": bool(row.manual),
            }
        )
    for row in frames.items.sort_values(["date", "id"]).itertuples(index=False):
        found = evidence.get(row.id, [])
        yield {
            "id": row.id,
            "date": row.date.isoformat(),
            "text": row.text,
            "source": row.source,
            "url": row.url,
            "lang": getattr(row, "lang", "") or "",
            "story": row.story,
            "countries": sorted({e["actor"] for e in found if not e["organisation"]}),
            "organisations": sorted({e["actor"] for e in found if e["organisation"]}),
            "topics": topics.get(row.id, []),
            "tone": row.tone,
            "lead_actor": split_key(row.lead_actor)[0] if isinstance(row.lead_actor, str) else None,
            "evidence": found,
            **_confidence(getattr(row, "confidence", math.nan), row.id, topics.get(row.id, []), topic_p),
        }


def _confidence(tone_p: float, item_id: str, topics: list[str], topic_p: dict) -> dict:
    """The `confidence` field of an exported record, as `mapdata tag` writes it; none when it is not known."""
    if tone_p != tone_p:  # NaN: tagged before confidences, or by the rules alone
        return {}
    known = {t: topic_p[item_id, t] for t in topics if (item_id, t) in topic_p}
    return {"confidence": {"tone": float(tone_p), "topics": known}}


def to_jsonl(frames: Frames) -> str:
    """JSON Lines of `jsonl_records`."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in jsonl_records(frames))


def to_geojson(frames: Frames) -> dict:
    """A FeatureCollection (RFC 7946) of the map's layers: a Point per actor and a great-circle line per actor pair.

    Actors that share a seat (UN agencies in New York) are placed apart, as on the map, so no line has zero
    length; a line that crosses the antimeridian is cut there into a MultiLineString, so every longitude lies
    within [-180, 180]."""
    features = []
    actors = aggregate.actors(frames)
    spots = {}
    for row in actors.itertuples(index=False):
        code, is_org = split_key(row.actor)
        spots[row.actor] = (row.lat, row.lon)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [_lon(row.lon), round(row.lat, 5)]},
                "properties": {
                    "layer": "actor",
                    "actor": code,
                    "organisation": is_org,
                    "name": row.name,
                    "items": int(row.items),
                    "tone": row.tone,
                },
            }
        )
    for row in aggregate.pairs(frames, set(spots)).itertuples(index=False):
        parts = geometry.split_at_antimeridian(geometry.arc(spots[row.a], spots[row.b]))
        lines = [[[_lon(lon), round(lat, 5)] for lat, lon in part] for part in parts]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": lines[0]}
                if len(lines) == 1
                else {"type": "MultiLineString", "coordinates": lines},
                "properties": {
                    "layer": "relation",
                    "a": split_key(row.a)[0],
                    "b": split_key(row.b)[0],
                    "items": int(row.items),
                    "tone": row.tone,
                    "border": bool(row.border),
                    "km": float(row.km),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _lon(value: float) -> float:
    """A longitude rounded to 5 decimals (about a metre) and kept within [-180, 180]."""
    return max(-180.0, min(180.0, round(value, 5)))


def export(frames: Frames, fmt: str) -> str:
    """The view in one of FORMATS, as text."""
    if fmt == "csv":
        return to_csv(frames)
    if fmt == "jsonl":
        return to_jsonl(frames)
    if fmt == "geojson":
        return json.dumps(to_geojson(frames), ensure_ascii=False)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
