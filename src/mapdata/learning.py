"""Corrections that teach the tagger: the items an analyst corrected or confirmed become labelled briefs; weights
learned from them and the shipped labelled sets are kept in the database, so that every member of a team (and
every re-tag, ingest and poll) tags with the same ones; `tagger_for` gives the tagger that uses the newest."""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from . import accounts, settings, store
from .classify import Classifier, Example, learn_calibrated
from .errors import InputError
from .evaluate import labelled_examples
from .tagging import Tagger, default_tagger, languages

CORRECTIONS_SET = "corrections"  # the name of the analysts' briefs among the labelled sets


@dataclass(frozen=True, slots=True)
class Learned:
    """What `learn_with_corrections` learned from and kept."""

    model_id: int
    briefs: int  # from the labelled files
    corrected: int  # stored items an analyst corrected or confirmed
    words: int

    def summary(self) -> str:
        return (
            f"learned from {self.briefs} labelled briefs and {self.corrected} corrected items "
            f"({self.words} words); the tagger now uses these weights (model {self.model_id}): "
            "run `mapdata retag` to apply them to the stored items"
        )


def corrected_examples(engine: Engine, tagger: Tagger) -> list[Example]:
    """The stored items an analyst corrected or confirmed, as labelled briefs: the tone only if it was set or
    confirmed, the topics only if one was added or removed or the item confirmed."""
    examples = []
    for stored, actors, topics, tone in store.reviewed(engine):
        if stored.item.lang in languages.READ:
            continue  # the weights learned with corrections are English's (tagging.weights_file)
        features, verdict = tagger.features(stored.item.text, actors, stored.item.lang or None)
        examples.append(Example(features, verdict, topics, tone))
    return examples


def rules_tagger() -> Tagger:
    """The default tagger without its learned layer (what learning starts from), sharing its built matcher."""
    rules = copy.copy(default_tagger())
    rules.classifier = None
    return rules


def labelled_sets(engine: Engine | None, files: Sequence[str | Path]) -> dict[str, list[Example]]:
    """The labelled files' briefs, by file name, and with an engine the analysts' corrected items as one more set
    (`CORRECTIONS_SET`); a set with no labelled topics or tone is left out."""
    rules = rules_tagger()
    sets = {Path(name).name: labelled_examples(name, rules) for name in files}
    if engine is not None:
        sets[CORRECTIONS_SET] = corrected_examples(engine, rules)
    return {name: group for name, group in sets.items() if group}


# The weights learned with corrections are calibrated on ten folds of sets rather than one fold per set (as `mapdata
# learn` does for the shipped weights): ten fits and the final one, not one per set and the final one, so that the Data
# page's button, which runs in the dashboard's one process, takes minutes rather than tens of minutes (97 s for the
# 8,604 briefs of 2026-12-06, docs/accuracy.md; 143 s for 14,204 on 2026-12-07)
CALIBRATION_FOLDS = 10


def learn_with_corrections(
    engine: Engine, files: Sequence[str | Path] | None = None, account: str = "", workers: int = 1
) -> Learned:
    """Learn topic and tone weights from the labelled files (default: data/briefs) and the stored corrections, and
    keep them in the database as the weights every tagger of this database uses. `workers`: as classify.out_of_fold
    (the Data page runs inside the dashboard's threaded server, so it keeps the default of one process)."""
    sets = labelled_sets(engine, files if files is not None else settings.training_sets())
    corrected = len(sets.get(CORRECTIONS_SET, ()))
    briefs = sum(len(group) for name, group in sets.items() if name != CORRECTIONS_SET)
    if not corrected:
        raise InputError("no corrected or confirmed items in the database yet: review some on the Data page first")
    model = learn_calibrated(sets, workers=workers, folds=CALIBRATION_FOLDS)
    who = account or accounts.cli_account()
    with store.writing(engine) as conn:
        model_id = store.save_model(conn, model.to_text(), who, briefs, corrected)
        accounts.record(conn, who, "learn", f"weights {model_id} from {corrected} corrected items", corrected)
    return Learned(model_id, briefs, corrected, len(model.vocabulary))


_taggers: dict[tuple[str, int], Tagger] = {}
_lock = threading.Lock()


def tagger_for(engine: Engine) -> Tagger:
    """The tagger for items of this database: the default one, with the newest weights learned with its
    corrections when there are any."""
    latest = store.latest_model(engine)
    if latest is None:
        return default_tagger()
    key = (engine.url.render_as_string(hide_password=True), latest[0])
    with _lock:
        if key not in _taggers:
            tagger = copy.copy(default_tagger())  # the gazetteer, matcher and lexicon are shared, read-only
            tagger.classifier = Classifier.from_text(latest[1], f"model {latest[0]} in the database")
            _taggers.clear()  # one database's newest model per process is enough
            _taggers[key] = tagger
        return _taggers[key]
