"""Manual corrections of an item's tags: what an analyst added or removed, applied over the automatic tags."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .models import TONES, TOPICS, Tag, TaggedItem, actor_key, split_key

FIELDS = ("actor", "topic", "tone")
ACTIONS = ("add", "remove", "set")


@dataclass(frozen=True, slots=True)
class Correction:
    """One manual change: add or remove an actor (by key) or a topic, or set the tone."""

    item_id: str
    field: str
    value: str
    action: str

    def __post_init__(self) -> None:
        if self.field not in FIELDS or self.action not in ACTIONS:
            raise ValueError(f"bad correction {self.field}/{self.action}")
        if self.field == "tone" and (self.action != "set" or self.value not in TONES):
            raise ValueError(f"tone must be set to one of {', '.join(TONES)}")
        if self.field == "topic" and self.value not in TOPICS:
            raise ValueError(f"unknown topic {self.value!r}")
        if self.field in ("actor", "topic") and self.action == "set":
            raise ValueError("actors and topics are added or removed, not set")


def apply(tagged: TaggedItem, corrections: Iterable[Correction]) -> TaggedItem:
    """The tagged item as the analyst corrected it; later corrections win over earlier ones."""
    evidence = list(tagged.evidence)
    topics = list(tagged.topics)
    tone = tagged.tone
    for c in corrections:
        if c.field == "tone":
            tone = c.value
        elif c.field == "topic":
            topics = [t for t in topics if t != c.value] + ([c.value] if c.action == "add" else [])
        else:
            evidence = [t for t in evidence if t.key != c.value]
            if c.action == "add":
                code, is_org = split_key(c.value)
                evidence.append(Tag(code, "", 0, 0, "organisation" if is_org else "manual", True))
    countries = tuple(sorted({t.actor for t in evidence if not t.is_organisation}))
    organisations = tuple(sorted({t.actor for t in evidence if t.is_organisation}))
    keys = set(countries) | {actor_key(o, True) for o in organisations}
    lead_key = tagged.lead_key if tagged.lead_key in keys else next((t.key for t in evidence), None)
    lead = split_key(lead_key)[0] if lead_key else None
    return replace(
        tagged,
        countries=countries,
        organisations=organisations,
        topics=tuple(dict.fromkeys(topics)),
        tone=tone,
        lead_actor=lead,
        lead_key=lead_key,
        evidence=tuple(evidence),
    )
