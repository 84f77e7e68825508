"""The whole tagging stage as one object: actors with their evidence, topics and tone, the lead actor."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

from .. import gazetteer, language, settings
from ..classify import ACTOR_WORD, LEAD_WORD, Classifier, Features
from ..gazetteer import Gazetteer
from ..models import Confidence, Item, Tag, TaggedItem
from ..textfold import fold
from . import languages
from .lead import lead_actor, related_keys
from .lexicon import PARAMS, Cue, Lexicon, negation_spans, words_text
from .matcher import ActorTagger
from .sentences import sentence_ends


def weights_file(english: bool = True):
    """The learned topic and tone weights that the tagger reads for English text (and `mapdata learn` writes), or
    with `english` False those for the other languages it reads: two models, so that learning from other languages'
    briefs leaves every English tag as it was."""
    return settings.data_file("learned_weights.csv" if english else "learned_weights_languages.csv")


def involved(tags: list[Tag]) -> tuple[list[str], list[str]]:
    """The sorted country codes and organisation codes that a list of tags names."""
    countries: set[str] = set()
    organisations: set[str] = set()
    for tag in tags:  # one pass: this runs for every item
        (organisations if tag.kind == "organisation" else countries).add(tag.actor)
    return sorted(countries), sorted(organisations)


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
        other = weights_file(english=False)
        self.languages_classifier = Classifier.from_file(other) if learned and other.is_file() else None

    def features(self, text: str, actors: int, lang: str | None = None) -> tuple[Features, tuple[tuple[str, ...], str]]:
        """What the learned layer reads of a text that names `actors` actors, and the verdict of the lexicon's rules
        alone (`lang`: the text's language when known, else it is detected). Read as `readings` reads an item, with
        the count of actors given (a stored item's, which an analyst may have corrected) rather than counted."""
        reading = self._read(
            Item(id="", date=None, text=text), None if lang is None else language.normalise(lang), actors
        )
        return reading.features, self.rules_verdict(reading)

    def _cues(self, text: str, low: str, lang: str) -> tuple[languages.Pack | None, list | None, list]:
        """The language's tables (None: English's), the text's words keyed in that language (None for English) and
        its cue hits: the one place that chooses how a text is read."""
        if lang not in languages.READ:
            return None, None, self.lexicon.hits(text, low)
        pack = languages.pack(lang)
        tokens = pack.tokens(text, low)
        return pack, tokens, pack.hits(text, tokens, low)

    @staticmethod
    def _features(
        text: str,
        hits: list[tuple[int, int, Cue]],
        actors: int,
        low: str | None = None,
        first_end: int | None = None,
        pack: languages.Pack | None = None,
        tokens: list | None = None,
        tags: Sequence[Tag] = (),
        lead: Tag | None = None,
    ) -> Features:
        """What the learned layer reads of an item (`pack` and `tokens`: its language's tables and its words, for a
        language other than English; `tags` and `lead`: the actors named in it and the lead actor, for its frame)."""
        params = languages.params_of(pack.lang) if pack is not None else PARAMS
        negations = negation_spans(hits)
        topic_scores, tone_scores = Lexicon.tally(text, hits, actors, params, first_end, negations)
        absences = [(s, e) for s, e, kind in negations if kind == "absence"]
        absent = bool(absences) and not tone_scores.get("cooperation") and not tone_scores.get("conflict")
        if pack is None:
            words = words_text(text, absences, low=low)
            return Features(words, topic_scores, tone_scores, actors, absent, frame_text(words, tags, lead))
        return Features(pack.words(tokens, absences), topic_scores, tone_scores, actors, absent)

    def topics_and_tone(self, text: str, actors: int) -> tuple[tuple[str, ...], str]:
        """Topics (likeliest first) and tone of a text that names `actors` countries and organisations."""
        return self._topics_and_tones([(text, actors)])[0]

    def _topics_and_tones(self, texts: Sequence[tuple[str, int]]) -> list[tuple[tuple[str, ...], str]]:
        if self.classifier is None:
            return [self.lexicon.score(text, actors) for text, actors in texts]
        predictions = self.classifier.predict_many([self.features(text, actors, "en")[0] for text, actors in texts])
        return [(p.topics, p.tone) for p in predictions]

    def tag(self, item: Item) -> TaggedItem:
        """Tag one item."""
        return self.tag_many([item])[0]

    def readings(self, items: Sequence[Item], lang: str | None = None) -> list[Reading]:
        """What the tagger reads of each item, before the learned layer's verdict (see Reading); with `lang`, every
        item is taken to be in that language, unread by the detector.

        Each text is folded, and its sentences found, once for every stage that reads them."""
        lang_given = language.normalise(lang) if lang is not None else None
        return [self._read(item, lang_given) for item in items]

    def _read(self, item: Item, lang: str | None = None, actors: int | None = None) -> Reading:
        """One item read (see `readings`; `lang`: its language, normalised, else it is detected; `actors`: the count
        of actors its topics and tone are read with, else those its tags name)."""
        text = item.text
        folded = fold(text)
        low = folded.lower()
        ends = list(sentence_ends(text))
        first_end = ends[0] if ends else len(text)
        lang = language.detect(text, item.lang) if lang is None else lang
        pack, tokens, hits = self._cues(text, low, lang)
        if pack is not None:
            tags = pack.tag(text, tokens, low)
            lead = lead_actor(text, tags, first_end, pack.not_subject, pack.articles, english=False)
        else:
            tags = self.actors.tag(text, folded)
            lead = lead_actor(text, tags, first_end)
        countries, organisations = involved(tags)
        if actors is None:
            actors = len(countries) + len(organisations)
        features = self._features(text, hits, actors, low, first_end, pack, tokens, tags, lead)
        return Reading(item, tags, countries, organisations, features, hits, lead, ends, lang)

    @staticmethod
    def rules_verdict(reading: Reading) -> tuple[tuple[str, ...], str]:
        """The topics and tone that the lexicon's rules alone give an item read."""
        return Lexicon.decide(
            reading.item.text, reading.hits, reading.features.actors, languages.params_of(reading.lang)
        )

    def tag_many(self, items: Sequence[Item], lang: str | None = None) -> list[TaggedItem]:
        """Tag a batch of items (the learned layer scores a batch at once, so this is faster than one by one);
        with `lang`, every item is taken to be in that language, unread by the detector."""
        found = self.readings(items, lang)
        verdicts: list = [None] * len(found)
        for model, chosen in (
            (self.classifier, [i for i, r in enumerate(found) if r.lang not in languages.READ]),
            (self.languages_classifier, [i for i, r in enumerate(found) if r.lang in languages.READ]),
        ):
            if not chosen:
                continue
            if model is None or self.classifier is None:  # no learned layer: the lexicon's rules alone
                for i in chosen:
                    verdicts[i] = (*self.rules_verdict(found[i]), None)
                continue
            for i, p in zip(chosen, model.predict_many([found[i].features for i in chosen]), strict=True):
                verdicts[i] = (
                    p.topics,
                    p.tone,
                    Confidence(p.tone_confidence, tuple(zip(p.topics, p.topic_confidence))),
                )
        return [
            TaggedItem(
                item=r.item,
                countries=tuple(r.countries),
                organisations=tuple(r.organisations),
                topics=topics,
                tone=tone,
                lead_actor=r.lead.actor if r.lead else None,
                evidence=tuple(r.tags),
                lead_key=r.lead.key if r.lead else None,
                related=related_keys(r.item.text, r.tags, r.lead, r.ends),
                confidence=confidence,
                lang=r.lang,
            )
            for r, (topics, tone, confidence) in zip(found, verdicts, strict=True)
        ]


class Reading(NamedTuple):
    """What the tagger reads of one item before the learned layer decides its topics and tone."""

    item: Item
    tags: list[Tag]  # the actors named, with their evidence, in order
    countries: list[str]
    organisations: list[str]
    features: Features  # what the learned layer reads
    hits: list  # the lexicon's cues found
    lead: Tag | None
    ends: list[int]  # where its sentences end
    lang: str


def frame_text(words: str, tags: Sequence[Tag], lead: Tag | None) -> str:
    """An English item's words (lexicon.words_text, whose offsets are the text's) with each actor named in them
    written as its role, the lead actor's mention "xlead" and any other's "xactor": "Poland summoned Russia's envoy"
    reads "xlead summoned xactor's envoy", so that what an actor does weighs the same whichever actor it is."""
    if not tags:
        return ""
    parts, at = [], 0
    for tag in tags:
        if tag.start < at:
            continue
        role = LEAD_WORD if lead is not None and tag.start == lead.start else ACTOR_WORD
        parts += (words[at : tag.start], " ", role, " ")
        at = tag.end
    parts.append(words[at:])
    return "".join(parts)


@functools.lru_cache(maxsize=1)
def default_tagger() -> Tagger:
    """One tagger per process, built from the installed data."""
    return Tagger()
