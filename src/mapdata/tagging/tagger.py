"""The whole tagging stage as one object: actors with their evidence, topics and tone, the lead actor."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from .. import gazetteer, settings
from ..classify import Classifier, Features
from ..gazetteer import Gazetteer
from ..models import Confidence, Item, Tag, TaggedItem
from ..textfold import fold
from .lead import lead_actor, related_keys
from .lexicon import Cue, Lexicon, negation_spans, words_text
from .matcher import ActorTagger
from .sentences import sentence_ends


def weights_file():
    """The learned topic and tone weights that the tagger reads (and `mapdata learn` writes)."""
    return settings.data_file("learned_weights.csv")


def involved(tags: list[Tag]) -> tuple[list[str], list[str]]:
    """The sorted country codes and organisation codes that a list of tags names."""
    countries = sorted({t.actor for t in tags if t.kind != "organisation"})
    organisations = sorted({t.actor for t in tags if t.kind == "organisation"})
    return countries, organisations


class Tagger:
    """The whole tagging stage: actors with evidence, topics, tone, lead actor."""

    def __init__(
        self,
        gaz: Gazetteer | None = None,
        lexicon: Lexicon | None = None,
        classifier: Classifier | None = None,
        learned: bool = True,
    ) -> None:
        self.gaz = gaz or gazetteer.load()
        self.actors = ActorTagger(self.gaz)
        self.lexicon = lexicon or Lexicon.from_file()
        # learned=False leaves topics and tone to the lexicon's rules alone (what `mapdata learn` starts from)
        self.classifier = classifier or (Classifier.from_file(weights_file()) if learned else None)

    def features(self, text: str, actors: int) -> tuple[Features, tuple[tuple[str, ...], str]]:
        """What the learned layer reads of a text that names `actors` actors, and the verdict of the lexicon's rules alone."""
        hits = self.lexicon.hits(text)
        return self._features(text, hits, actors), Lexicon.decide(text, hits, actors)

    @staticmethod
    def _features(
        text: str, hits: list[tuple[int, int, Cue]], actors: int, low: str | None = None, first_end: int | None = None
    ) -> Features:
        topic_scores, tone_scores = Lexicon.tally(text, hits, actors, lead_end=first_end)
        absences = [(s, e) for s, e, kind in negation_spans(hits) if kind == "absence"]
        absent = bool(absences) and not tone_scores.get("cooperation") and not tone_scores.get("conflict")
        return Features(words_text(text, absences, low=low), topic_scores, tone_scores, actors, absent)

    def topics_and_tone(self, text: str, actors: int) -> tuple[tuple[str, ...], str]:
        """Topics (likeliest first) and tone of a text that names `actors` countries and organisations."""
        return self._topics_and_tones([(text, actors)])[0]

    def _topics_and_tones(self, texts: Sequence[tuple[str, int]]) -> list[tuple[tuple[str, ...], str]]:
        if self.classifier is None:
            return [self.lexicon.score(text, actors) for text, actors in texts]
        predictions = self.classifier.predict_many(
            [self._features(text, self.lexicon.hits(text), actors) for text, actors in texts]
        )
        return [(p.topics, p.tone) for p in predictions]

    def tag(self, item: Item) -> TaggedItem:
        """Tag one item."""
        return self.tag_many([item])[0]

    def tag_many(self, items: Sequence[Item]) -> list[TaggedItem]:
        """Tag a batch of items (the learned layer scores a batch at once, so this is faster than one by one).

        Each text is folded, and its sentences found, once for every stage that reads them."""
        found = []
        for item in items:
            text = item.text
            folded = fold(text)
            low = folded.lower()
            ends = list(sentence_ends(text))
            first_end = ends[0] if ends else len(text)
            tags = self.actors.tag(text, folded)
            countries, organisations = involved(tags)
            actors = len(countries) + len(organisations)
            hits = self.lexicon.hits(text, low)
            lead = lead_actor(text, tags, first_end)
            found.append(
                (
                    item,
                    tags,
                    countries,
                    organisations,
                    self._features(text, hits, actors, low, first_end),
                    hits,
                    lead,
                    ends,
                )
            )
        if self.classifier is None:
            verdicts = [(*Lexicon.decide(f[0].text, f[5], f[4].actors), None) for f in found]
        else:
            verdicts = [
                (p.topics, p.tone, Confidence(p.tone_confidence, tuple(zip(p.topics, p.topic_confidence))))
                for p in self.classifier.predict_many([f[4] for f in found])
            ]
        out = []
        for (item, tags, countries, organisations, _, _, lead, ends), (topics, tone, confidence) in zip(
            found, verdicts
        ):
            out.append(
                TaggedItem(
                    item=item,
                    countries=tuple(countries),
                    organisations=tuple(organisations),
                    topics=topics,
                    tone=tone,
                    lead_actor=lead.actor if lead else None,
                    evidence=tuple(tags),
                    lead_key=lead.key if lead else None,
                    related=related_keys(item.text, tags, lead, ends),
                    confidence=confidence,
                )
            )
        return out


@functools.lru_cache(maxsize=1)
def default_tagger() -> Tagger:
    """One tagger per process, built from the installed data."""
    return Tagger()
