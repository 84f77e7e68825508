"""Topics and tone from learned word weights on top of the lexicon's scores.

The hand-written lexicon (data/lexicon.csv) gives every topic and tone a score. A logistic layer weighs
those scores together with the words of the item; its weights are learned from labelled briefs by
`mapdata learn` and stored, one row per feature, in data/learned_weights.csv.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import filterfalse, pairwise
from pathlib import Path
from typing import NamedTuple

import numpy as np
import Stemmer

from .errors import DataFileError
from .models import TONES, TOPICS

LABELS: tuple[str, ...] = TOPICS + TONES
# the calibration rows of the weights file: p(topic) = sigmoid(scale * z + shift) per topic column;
# p(tone) = softmax(scale * z + shift) over the tone columns (one scale, a shift per tone)
CALIBRATION: tuple[str, ...] = ("calibration:scale", "calibration:shift")
# the dense features: the lexicon's score of each topic and tone, how many actors are named, and a bias
DENSE: tuple[str, ...] = (*(f"lexicon:{label}" for label in LABELS), "actors", "bias")
WORD_PREFIX = "word:"
# an English word's Snowball stem is a feature too ("stem:sanction" for "sanctions", "sanctioned", "sanctioning"): with
# about 1,500 labelled briefs, a word form the briefs never used still weighs through its stem. Inside a vocabulary a
# stem is written "~sanction" (no word has "~"); the other languages' words are keys already ("ru_sankc"), not stemmed
STEM_PREFIX = "stem:"
_STEM_MARK = "~"
# Two neighbouring words are a feature too ("pair:peace.talks"), the little words between them skipped: "peace talks"
# and "border crossing" say more than their words apart, and a tone turns on "talks collapsed" against "talks
# resumed". Out of set on the 4,504 English briefs of 2026-12-05: topics 0.889 -> 0.892, tone 0.879 -> 0.886
# (docs/accuracy.md). Inside a vocabulary a pair is written "peace.talks" (no word has ".")
PAIR_PREFIX = "pair:"
_PAIR_MARK = "."
_PAIR_BYTE = _PAIR_MARK.encode()
# the words that stand for an actor in a frame (Features.frame): the lead actor and any other
LEAD_WORD, ACTOR_WORD = "xlead", "xactor"
_ROLES = frozenset({LEAD_WORD.encode(), ACTOR_WORD.encode()})
# the words a pair skips: too common to tell one topic or tone from another, they would only multiply the pairs
_SKIPPED = frozenset(
    b"the a an and of to in on for with at by from as that was is are were be been its his her their it this said "
    b"says has have had will would after over into than but or not".split()
)
# what _kept leaves out: the _SKIPPED words and every word of one or two letters (a word is a run of a-z and "_"),
# listed so that the test is one set lookup
_LETTER_BYTES = [bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyz_"]
_UNPAIRED = _SKIPPED | set(_LETTER_BYTES) | {a + b for a in _LETTER_BYTES for b in _LETTER_BYTES}
_STEMMER = Stemmer.Stemmer("english")
_SCORE_ROWS = {label: i for i, label in enumerate(LABELS)}  # the lexicon:<label> rows come first, in LABELS order
_ACTORS_ROW, _BIAS_ROW = DENSE.index("actors"), DENSE.index("bias")
_TOKEN = re.compile(r"[a-z_]+")
_PAIR = re.compile(r"[a-z_]+\.[a-z_]+")
# bytes.translate table for the same words as _TOKEN: every byte but a-z and "_" becomes a space (the words of the
# other languages are written "ru_sankc", their language, "_" and the ASCII spelling of their key: tagging/languages.py)
_LETTERS = bytes(c if 97 <= c <= 122 or c == 95 else 32 for c in range(256))


class Features(NamedTuple):
    """What the learned layer reads of one item."""

    words: str  # folded lower-case text, with what absence cues govern blanked (tagging.words_text)
    topic_scores: Mapping[str, float]  # the lexicon's score of each topic ...
    tone_scores: Mapping[str, float]  # ... and of each tone
    actors: int  # countries and organisations named
    absent: bool = False  # an absence cue ("no sign of") and no tone cue: nothing happened between the actors
    # `words` with each actor named in it written "xlead" (the lead actor) or "xactor" (another): who does what to
    # whom, whichever actors they are (see _frame_pairs); "" where it is not made (other languages)
    frame: str = ""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled brief as the learner sees it: its features, the lexicon rules' verdict, the gold labels."""

    features: Features
    lexicon: tuple[tuple[str, ...], str]
    topics: frozenset[str] | None
    tone: str | None


@dataclass(frozen=True, slots=True)
class LearnParams:
    """How the weights are fitted and used; chosen by leave-one-set-out cross-validation (`mapdata learn --cross-validate`)."""

    topic_l2: float = 0.0005
    tone_l2: float = 0.001
    steps: int = 400  # full-batch gradient steps from zero
    rate: float = 0.5
    # Nesterov momentum of the topic fit and of the tone fit (0: plain gradient descent, whose 400 steps stop the tone
    # weights early, a regularisation of its own). With momentum the topic weights come near their optimum in the
    # same 400 steps, and the weaker L2 penalty is what holds them: out of set, topics 0.847 -> 0.855 on the 2,204
    # English briefs of 2026-12-04 (docs/accuracy.md); the tone gained nothing from it
    topic_momentum: float = 0.9
    tone_momentum: float = 0.0
    # Each word's features are scaled, for the fit, by how unevenly the word falls between the briefs with a label and
    # those without (its naive Bayes log-count ratio; Wang and Manning 2012): the penalty then spares the telling words
    # and holds back the incidental ones. The stored weights are the scaled ones, so the tagger reads them as before.
    # None: every feature unscaled. Out of set on the 4,204 English briefs of 2026-12-05: topics 0.878 -> 0.888,
    # tone 0.873 -> 0.882 (docs/accuracy.md)
    evidence_prior: float | None = 1.0  # the count added to each word's count in and out of a label (smoothing)
    min_count: int = 2  # a word must occur in this many training briefs to get weights
    # a topic is kept at this probability (the likeliest is always kept); out of set on the 4,804 English briefs of
    # 2026-12-05, with the pairs of words: 0.40 -> 0.35 gave topics 0.892 -> 0.893 (0.45: 0.890; 0.30 was best there,
    # 0.894, but below 0.35 without the pairs and with other features: 0.35 was never below 0.40)
    topic_threshold: float = 0.35
    max_topics: int = 3
    decimals: int = 3  # weights are stored, and so used, rounded to this many decimals


LEARN = LearnParams()


def _words(text: str) -> list[bytes]:
    """The words (runs of a-z and "_") of a folded, lower-cased text, as ASCII bytes, in order."""
    return text.encode("ascii", "replace").translate(_LETTERS).split()


def _kept(words: list[bytes]) -> list[bytes]:
    """The words a pair is made of: those longer than two letters and not among the _SKIPPED ones, in order."""
    return list(filterfalse(_UNPAIRED.__contains__, words))


def _words_and_pairs(text: str) -> tuple[set[bytes], set[bytes]]:
    """What the learned layer looks up of a folded, lower-cased text: its distinct words (see _words), and each pair
    of neighbouring kept words (see _kept: b"peace.talks")."""
    words = _words(text)
    return set(words), set(map(_PAIR_BYTE.join, pairwise(_kept(words))))


def _frame_pairs(frame: str) -> set[bytes]:
    """The pairs of neighbouring words of an item's frame (Features.frame, paired as _words_and_pairs pairs words)
    that hold an actor's place: b"xlead.summoned", b"summoned.xactor", b"xactor.ambassador". The country does not
    matter, the role does."""
    kept = _kept(_words(frame))
    pairs = set()
    last = len(kept) - 1
    for role in _ROLES:  # an item names a few actors among dozens of words: find them rather than walk every pair
        at = -1
        while (at := _find(kept, role, at + 1)) >= 0:
            if at:
                pairs.add(kept[at - 1] + _PAIR_BYTE + role)
            if at < last:
                pairs.add(role + _PAIR_BYTE + kept[at + 1])
    return pairs


def _find(words: list[bytes], word: bytes, start: int) -> int:
    """The index of `word` in `words` from `start` on, or -1."""
    try:
        return words.index(word, start)
    except ValueError:
        return -1


def _item_terms(features: Features) -> set[bytes]:
    """Every distinct term the learned layer looks up for an item: its words and pairs (_words_and_pairs), its frame's
    pairs."""
    words, pairs = _item_words_and_pairs(features)
    return words | pairs


def _item_words_and_pairs(features: Features) -> tuple[set[bytes], set[bytes]]:
    """An item's terms (see _item_terms) as its distinct words, and its distinct pairs and frame pairs."""
    words, pairs = _words_and_pairs(features.words)
    if features.frame:
        pairs |= _frame_pairs(features.frame)
    return words, pairs


def _stem_key(word: bytes) -> bytes | None:
    """The vocabulary key of an English word's stem (b"~sanction"); None for another language's word key or a pair."""
    return None if b"_" in word or _PAIR_BYTE in word else b"~" + _STEMMER.stemWord(word)


def _keys(features: Features) -> set[bytes]:
    """The distinct features of an item: its words and pairs (see _item_terms) and the words' stems."""
    terms = _item_terms(features)
    return terms | {key for key in map(_stem_key, terms) if key is not None}


def _word_rows(vocabulary: Sequence[str]) -> dict[bytes, int]:
    """Each known word's or stem's feature index: after the DENSE features, in vocabulary order."""
    return {word.encode("ascii"): len(DENSE) + i for i, word in enumerate(vocabulary)}


def _rows_of(word: bytes, index: Mapping[bytes, int]) -> tuple[int, ...]:
    """A word's feature indices: its own if the briefs used it, its stem's if they used the stem (either, both, or
    none). An item's features are the sum of its distinct words': the one encoding learning and prediction share."""
    key = _stem_key(word)
    return tuple(row for row in (index.get(word), None if key is None else index.get(key)) if row is not None)


class _RowCache:
    """Each word met's row in a Classifier's summed weights (the first of its `_rows_of`, whose row holds the word's
    and its stem's weights added; 0 if nothing is known of it): a plain dict read in C for a whole item at once, the
    stemmer run once a word. A pair has no stem, so its row is the vocabulary's own: pairs are looked up there and
    never kept here (most of an article's pairs are new, and kept they would crowd out the words)."""

    LIMIT = 500_000  # words remembered at most: a long-running dashboard meets an unbounded vocabulary

    def __init__(self, index: Mapping[bytes, int]) -> None:
        self.index = index
        self.rows: dict[bytes, int] = {}

    def of(self, words: set[bytes], pairs: set[bytes]) -> list[int]:
        """The rows of an item's distinct words and pairs that anything is known of, in ascending order."""
        rows = self.rows
        new = words.difference(rows)
        if new:
            if len(rows) + len(new) > self.LIMIT:
                rows.clear()
                new = words
            for word in new:
                found = _rows_of(word, self.index)
                rows[word] = found[0] if found else 0
        found = list(filter(None, map(rows.__getitem__, words)))
        found += filter(None, map(self.index.get, pairs))
        found.sort()
        return found


def _dense_rows(features: Features, rows: list[int], values: list[float]) -> int:
    """Append one item's dense feature indices (the bias, the actors, the lexicon's scores) and values; how many."""
    rows += (_BIAS_ROW, _ACTORS_ROW)
    values += (1.0, min(features.actors, 4) / 2.0)
    added = 2
    for scores in (features.topic_scores, features.tone_scores):
        for label, value in scores.items():
            if value:
                rows.append(_SCORE_ROWS[label])
                values.append(value)
                added += 1
    return added


@dataclass(frozen=True, slots=True)
class Calibration:
    """Maps the layer's raw scores to probabilities that mean what they say (fitted on scores of briefs the weights
    were not learned from): p(topic) = sigmoid(scale * z + shift) per topic, p(tone) = softmax(scale * z + shift)
    over the tones, with one scale for the three tones."""

    scale: tuple[float, ...] = (1.0,) * len(LABELS)
    shift: tuple[float, ...] = (0.0,) * len(LABELS)

    def probabilities(self, z: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for logits `z` (items x LABELS): topic columns independent, tone columns sum to 1."""
        scaled = z * np.asarray(self.scale) + np.asarray(self.shift)
        n = len(TOPICS)
        out = np.empty_like(scaled)
        out[:, :n] = 1.0 / (1.0 + np.exp(-scaled[:, :n]))
        tones = np.exp(scaled[:, n:] - scaled[:, n:].max(axis=1, keepdims=True))
        out[:, n:] = tones / tones.sum(axis=1, keepdims=True)
        return out


def fit_calibration(z: np.ndarray, examples: Sequence[Example], steps: int = 3000, rate: float = 0.1) -> Calibration:
    """Platt scaling of each topic and temperature-and-bias scaling of the tones, by gradient descent on the log
    loss of out-of-fold logits `z` (one row per example) against the examples' gold labels."""
    n = len(TOPICS)
    scale = np.ones(len(LABELS))
    shift = np.zeros(len(LABELS))
    topical = [i for i, e in enumerate(examples) if e.topics is not None]
    if topical:
        zt = z[topical, :n]
        y = np.array([[t in examples[i].topics for t in TOPICS] for i in topical], dtype=float)
        a, b = np.ones(n), np.zeros(n)
        for _ in range(steps):
            p = 1.0 / (1.0 + np.exp(-(zt * a + b)))
            a -= rate * ((p - y) * zt).mean(axis=0)
            b -= rate * (p - y).mean(axis=0)
        scale[:n], shift[:n] = a, b
    toned = [i for i, e in enumerate(examples) if e.tone is not None]
    if toned:
        zt = z[toned, n:]
        y = np.array([[examples[i].tone == t for t in TONES] for i in toned], dtype=float)
        a, b = 1.0, np.zeros(len(TONES))
        for _ in range(steps):
            s = zt * a + b
            e = np.exp(s - s.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            a -= rate * ((p - y) * zt).sum(axis=1).mean()
            b -= rate * (p - y).mean(axis=0)
        scale[n:], shift[n:] = a, b
    return Calibration(tuple(np.round(scale, 3).tolist()), tuple(np.round(shift, 3).tolist()))


def expected_calibration_error(confidence: Sequence[float], right: Sequence[bool], bins: int = 10) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins weighted by size."""
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(right, dtype=float)
    if not len(conf):
        return 0.0
    which = np.minimum((conf * bins).astype(int), bins - 1)
    return float(
        sum(
            abs(conf[which == k].mean() - hit[which == k].mean()) * (which == k).sum()
            for k in range(bins)
            if (which == k).any()
        )
        / len(conf)
    )


UNSURE_SHARE = 0.2  # the least confident share of items that a review queue would show first


def unsure_error_share(toned: list[tuple[float, bool]], share: float = UNSURE_SHARE) -> float | None:
    """Of all tone errors, the share found among the `share` least confident items (ties broken by order);
    review time is well spent when this is well above `share`."""
    errors = sum(not right for _, right in toned)
    if not errors:
        return None
    ranked = sorted(range(len(toned)), key=lambda i: toned[i][0])[: max(1, round(share * len(toned)))]
    return sum(not toned[i][1] for i in ranked) / errors


class Prediction(NamedTuple):
    """The learned layer's verdict on one item, with calibrated probabilities."""

    topics: tuple[str, ...]
    tone: str
    tone_confidence: float  # p(the chosen tone)
    topic_confidence: tuple[float, ...]  # p(each chosen topic), in the order of `topics`


class Classifier:
    """Learned weights: one row of topic and tone weights per dense feature and per known word."""

    def __init__(
        self,
        dense: np.ndarray,
        vocabulary: Sequence[str],
        word_weights: np.ndarray,
        params: LearnParams = LEARN,
        calibration: Calibration | None = None,
    ) -> None:
        if dense.shape != (len(DENSE), len(LABELS)) or word_weights.shape != (len(vocabulary), len(LABELS)):
            raise ValueError("weights do not match the features and labels")
        self.calibration = calibration or Calibration()
        self.dense = dense
        self.word_weights = word_weights
        self.params = params
        self.vocabulary = {word: i for i, word in enumerate(vocabulary)}
        # one stacked matrix, so that an item's logits are one gather and one sum; a known word's row also holds its
        # stem's weights (_RowCache)
        self._weights = np.vstack([dense, word_weights])
        index = _word_rows(vocabulary)
        for word, row in index.items():
            rows = _rows_of(word, index)  # (row,) or (row, its stem's row)
            if len(rows) == 2:
                self._weights[row] += self._weights[rows[1]]
        self._rows = _RowCache(index)

    def logits_many(self, items: Sequence[Features]) -> np.ndarray:
        """The raw score of every label (columns: topics, then tones) for each item: one gather and one sum for the
        batch. Each item's features are summed one after another in a fixed order, never by a matrix product,
        whose blocking depends on the batch: an item's scores must not change with the items batched with it
        (a near tie between two tones would flip between an ingest and a later re-tag)."""
        rows: list[int] = []
        dense_at: list[int] = []
        dense_values: list[float] = []
        starts = []
        of = self._rows.of
        for features in items:
            starts.append(len(rows))
            at = len(rows)
            dense_at.extend(range(at, at + _dense_rows(features, rows, dense_values)))
            # summed in a fixed order (ascending rows): a set's order changes with each process's hash seed, and a
            # near tie between two tones must not flip between the ingest and a later re-tag
            rows += of(*_item_words_and_pairs(features))
        if not items:
            return np.zeros((0, len(LABELS)))
        gathered = self._weights[rows]
        gathered[dense_at] *= np.asarray(dense_values)[:, None]  # a word's value is 1: its row is its weights
        return np.add.reduceat(gathered, starts, axis=0)

    def predict_many(self, items: Sequence[Features]) -> list[Prediction]:
        """Topics (1 to max_topics, likeliest first) and tone of each item, with their calibrated probabilities."""
        return decide(items, self.logits_many(items), self.params, self.calibration)

    def predict(self, features: Features) -> Prediction:
        """Topics (1 to max_topics, likeliest first) and tone of one item, with their probabilities."""
        return self.predict_many([features])[0]

    @classmethod
    def from_file(cls, path: str | Path, params: LearnParams = LEARN) -> Classifier:
        """Read the weights CSV: a `feature` column, then one column per topic and tone. What is read is kept in the
        cache folder, keyed by the file's bytes: parsing tens of thousands of rows is a third of a second of every
        `mapdata tag`'s start, unpickling them a few hundredths."""
        from . import diskcache

        path = Path(path)
        try:
            content = path.read_bytes()
        except OSError as err:
            raise DataFileError(f"{path}: cannot read ({err.strerror})") from err
        key = hashlib.sha256(content + repr(params).encode() + Path(__file__).read_bytes()).hexdigest()[:20]

        def parse() -> Classifier:
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError as err:
                raise DataFileError(f"{path}: not UTF-8 text") from err
            return cls.from_text(text, str(path), params)

        return diskcache.cached(f"weights-{path.stem}-{key}.pickle", parse, family=f"weights-{path.stem}-*.pickle")

    @classmethod
    def from_text(cls, text: str, name: str, params: LearnParams = LEARN) -> Classifier:
        """Weights from the CSV text that `to_text` makes (as the database keeps them); `name` is for messages."""
        return cls.from_lines(io.StringIO(text, newline=""), name, params)

    @classmethod
    def from_lines(cls, handle, path: str, params: LearnParams = LEARN) -> Classifier:
        """Weights from an open CSV stream; `path` names it in messages."""
        dense = np.zeros((len(DENSE), len(LABELS)))
        seen: set[str] = set()
        calibration: dict[str, tuple[float, ...]] = {}
        vocabulary: list[str] = []
        rows: list[list[float]] = []
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or list(reader.fieldnames) != ["feature", *LABELS]:
            raise DataFileError(f"{path}: the header must be feature,{','.join(LABELS)}")
        for line, row in enumerate(reader, start=2):
            feature = (row["feature"] or "").strip()
            try:
                values = [float(row[label]) for label in LABELS]
            except (TypeError, ValueError) as err:
                raise DataFileError(f"{path}, line {line}: a weight is not a number") from err
            if feature in seen:
                raise DataFileError(f"{path}, line {line}: {feature!r} appears twice")
            seen.add(feature)
            if feature in DENSE:
                dense[DENSE.index(feature)] = values
            elif feature in CALIBRATION:
                calibration[feature] = tuple(values)
            elif feature.startswith(WORD_PREFIX) and _TOKEN.fullmatch(feature[len(WORD_PREFIX) :]):
                vocabulary.append(feature[len(WORD_PREFIX) :])
                rows.append(values)
            elif feature.startswith(STEM_PREFIX) and _TOKEN.fullmatch(feature[len(STEM_PREFIX) :]):
                vocabulary.append(_STEM_MARK + feature[len(STEM_PREFIX) :])
                rows.append(values)
            elif feature.startswith(PAIR_PREFIX) and _PAIR.fullmatch(feature[len(PAIR_PREFIX) :]):
                vocabulary.append(feature[len(PAIR_PREFIX) :])
                rows.append(values)
            else:
                raise DataFileError(f"{path}, line {line}: unknown feature {feature!r}")
        missing = [f for f in DENSE if f not in seen]
        if missing:
            raise DataFileError(f"{path}: missing rows {', '.join(missing)}")
        fitted = (
            Calibration(calibration[CALIBRATION[0]], calibration[CALIBRATION[1]])
            if len(calibration) == len(CALIBRATION)
            else None  # weights without calibration rows: the raw sigmoid and softmax
        )
        return cls(dense, vocabulary, np.array(rows).reshape(len(rows), len(LABELS)), params, fitted)

    def to_file(self, path: str | Path) -> None:
        """Write the weights CSV, dense features first, then the words in alphabetical order."""
        Path(path).write_text(self.to_text(), encoding="utf-8", newline="")

    def to_text(self) -> str:
        """The weights CSV as text: dense features, calibration, then the words in alphabetical order."""
        digits = self.params.decimals
        with io.StringIO(newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["feature", *LABELS])
            for name, values in zip(DENSE, self.dense):
                writer.writerow([name, *(_number(v, digits) for v in values)])
            for name, values in zip(CALIBRATION, (self.calibration.scale, self.calibration.shift)):
                writer.writerow([name, *(_number(v, digits) for v in values)])
            for word in sorted(self.vocabulary):  # the words and pairs, then the stems ("~" sorts after the letters)
                if word.startswith(_STEM_MARK):
                    name = STEM_PREFIX + word[1:]
                else:
                    name = (PAIR_PREFIX if _PAIR_MARK in word else WORD_PREFIX) + word
                writer.writerow([name, *(_number(v, digits) for v in self.word_weights[self.vocabulary[word]])])
            return handle.getvalue()


def decide(items: Sequence[Features], z: np.ndarray, params: LearnParams, calibration: Calibration) -> list[Prediction]:
    """Topics and tone of each item from its logits (a row of `z`), with their calibrated probabilities."""
    n, most = len(TOPICS), params.max_topics
    cut = math.log(params.topic_threshold / (1.0 - params.topic_threshold))
    topic_z = z[:, :n]
    # likeliest first; stable, so that ties keep the taxonomy's order. The topics kept are those at or above the
    # cut, at most `most`, and at least the likeliest: a run from the start of that order.
    order = np.argsort(-topic_z, axis=1, kind="stable")[:, :most]
    kept = np.clip((topic_z >= cut).sum(axis=1), 1, most).tolist()
    tones = np.argmax(z[:, n:], axis=1)
    # the rules' verdict on an absent event stands: what did not happen is no relation
    tones[np.fromiter((f.absent for f in items), bool, len(items))] = TONES.index("neutral")
    probabilities = np.round(calibration.probabilities(z), 3)
    tone_p = probabilities[np.arange(len(tones)), n + tones].tolist()
    topic_p = np.take_along_axis(probabilities[:, :n], order, axis=1).tolist()
    return [
        Prediction(tuple(TOPICS[i] for i in ranked[:k]), TONES[tone], p, tuple(ps[:k]))
        for ranked, k, tone, p, ps in zip(order.tolist(), kept, tones.tolist(), tone_p, topic_p)
    ]


def _number(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return "0" if float(text) == 0 else text


class _Sparse:
    """The examples' features as a sparse matrix, one row per example: a brief has a few dozen of the thousands of
    words and stems. scipy's compressed rows (and a copy by columns for x.T @ g) multiply in C, each row or column
    summed in a fixed order: the products are nearly all of a fit's time. scipy is imported here, so that tagging,
    which never learns, does not load it at start-up."""

    def __init__(self, rows: Sequence[tuple[Sequence[int], Sequence[float]]], width: int) -> None:
        from scipy.sparse import csr_array

        self.width = width
        sizes = np.fromiter((len(columns) for columns, _ in rows), np.int64, len(rows))
        if (sizes == 0).any():
            raise ValueError("every row needs an entry")  # each example has its bias
        self.columns = np.fromiter((c for columns, _ in rows for c in columns), np.int64, int(sizes.sum()))
        values = np.fromiter((v for _, values in rows for v in values), float, int(sizes.sum()))
        self.row_of = np.repeat(np.arange(len(rows)), sizes)
        pointers = np.concatenate([[0], np.cumsum(sizes)])
        # two words of one stem give a column twice in a row: scipy sums such entries as the product does
        self._rows = csr_array((values, self.columns, pointers), shape=(len(rows), width))
        self._columns = self._rows.T.tocsr()

    def dot(self, w: np.ndarray) -> np.ndarray:
        """x @ w."""
        return self._rows @ w

    def tdot(self, g: np.ndarray) -> np.ndarray:
        """x.T @ g."""
        return self._columns @ g


def _evidence(x: _Sparse, y: np.ndarray, prior: float, softmax: bool) -> np.ndarray:
    """Each feature's scale for each label (width x labels): 1 for the dense features; for a word, the absolute log
    ratio of its smoothed share of the words of the examples with the label and of those without (the naive Bayes
    log-count ratio, counting a word once an example). For a softmax the labels share one scale, the largest."""
    present = np.unique(x.row_of * x.width + x.columns)  # each (example, feature) once
    rows, columns = np.divmod(present, x.width)
    word = columns >= len(DENSE)
    rows, columns = rows[word], columns[word]
    scale = np.ones((x.width, y.shape[1]))
    for label in range(y.shape[1]):
        inside = np.bincount(columns, weights=y[rows, label], minlength=x.width)[len(DENSE) :] + prior
        outside = np.bincount(columns, weights=1.0 - y[rows, label], minlength=x.width)[len(DENSE) :] + prior
        scale[len(DENSE) :, label] = np.abs(np.log(inside / inside.sum()) - np.log(outside / outside.sum()))
    if softmax:
        scale[:] = scale.max(axis=1, keepdims=True)
    return scale


def _fit(
    x: _Sparse,
    y: np.ndarray,
    l2: float,
    momentum: float,
    params: LearnParams,
    softmax: bool,
    scale: np.ndarray | None = None,
) -> np.ndarray:
    """L2-regularised logistic regression (one-vs-rest, or softmax) by full-batch gradient descent, with Nesterov
    momentum (the gradient is taken at the point the momentum is carrying the weights to). With `scale` (width x
    labels), the fit is over the features multiplied by it, and the weights returned are for the unscaled features
    (the fitted ones times the scale): the penalty falls on the fitted weights."""
    w = np.zeros((x.width, y.shape[1]))
    velocity = np.zeros_like(w)
    for _ in range(params.steps):
        ahead = w + momentum * velocity if momentum else w
        z = x.dot(ahead if scale is None else ahead * scale)
        if softmax:
            z = np.exp(z - z.max(axis=1, keepdims=True))
            p = z / z.sum(axis=1, keepdims=True)
        else:
            p = 1.0 / (1.0 + np.exp(-z))
        gradient = x.tdot(p - y) / len(y)
        if scale is not None:
            gradient *= scale
        velocity = momentum * velocity - params.rate * (gradient + l2 * ahead)
        w = w + velocity
    return w if scale is None else w * scale


def learn(examples: Sequence[Example], params: LearnParams = LEARN) -> Classifier:
    """Fit topic and tone weights to labelled examples (each needs topics, tone, or both)."""
    counts = Counter(w for e in examples for w in _keys(e.features))
    vocabulary = sorted(w.decode("ascii") for w, n in counts.items() if n >= params.min_count)
    index = _word_rows(vocabulary)
    width = len(DENSE) + len(vocabulary)
    rows = []
    for example in examples:
        columns: list[int] = []
        values: list[float] = []
        _dense_rows(example.features, columns, values)
        for word in _item_terms(example.features):
            columns += _rows_of(word, index)  # two words of one stem count it twice
        values += [1.0] * (len(columns) - len(values))
        rows.append((columns, values))
    weights = np.zeros((width, len(LABELS)))
    labelled = [i for i, e in enumerate(examples) if e.topics is not None]
    if labelled:
        y = np.array([[t in examples[i].topics for t in TOPICS] for i in labelled], dtype=float)
        x = _Sparse([rows[i] for i in labelled], width)
        scale = None if params.evidence_prior is None else _evidence(x, y, params.evidence_prior, softmax=False)
        weights[:, : len(TOPICS)] = _fit(x, y, params.topic_l2, params.topic_momentum, params, False, scale)
    labelled = [i for i, e in enumerate(examples) if e.tone is not None]
    if labelled:
        y = np.array([[examples[i].tone == t for t in TONES] for i in labelled], dtype=float)
        x = _Sparse([rows[i] for i in labelled], width)
        scale = None if params.evidence_prior is None else _evidence(x, y, params.evidence_prior, softmax=True)
        weights[:, len(TOPICS) :] = _fit(x, y, params.tone_l2, params.tone_momentum, params, True, scale)
    weights = np.round(weights, params.decimals)
    return Classifier(weights[: len(DENSE)], vocabulary, weights[len(DENSE) :], params)


def score(predictions: Iterable[tuple[Example, Sequence]]) -> tuple[float | None, float | None]:
    """Topic micro-F1 and tone accuracy of (example, (topics, tone)) pairs."""
    tp = fp = fn = right = toned = 0
    for example, verdict in predictions:
        topics, tone = verdict[0], verdict[1]
        if example.topics is not None:
            tp += len(example.topics & set(topics))
            fp += len(set(topics) - example.topics)
            fn += len(example.topics - set(topics))
        if example.tone is not None:
            toned += 1
            right += tone == example.tone
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return f1, (right / toned if toned else None)


@dataclass(frozen=True, slots=True)
class FoldScore:
    """Scores on one labelled set: learned from the other sets only, and the lexicon's rules alone; the expected
    calibration error of the tone confidence, calibrated on the other sets' out-of-fold scores."""

    name: str
    items: int
    topic_f1: float | None
    tone_accuracy: float | None
    lexicon_topic_f1: float | None
    lexicon_tone_accuracy: float | None
    tone_ece: float | None = None
    unsure_share: float | None = None  # the share of the tone errors among the least sure fifth of the items


# the sets and parameters of the out_of_fold call under way: its forked workers find them here (tagging.pool)
_FOLDS: tuple[Mapping[str, Sequence[Example]], LearnParams] | None = None


def _fold_logits(held: tuple[str, ...]) -> np.ndarray:
    """The logits of the sets `held`, one after the other, by weights learned from every other set of the
    out_of_fold call under way."""
    assert _FOLDS is not None
    sets, params = _FOLDS
    model = learn([e for other, group in sets.items() if other not in held for e in group], params)
    return model.logits_many([e.features for name in held for e in sets[name]])


def fold_groups(names: Sequence[str], folds: int | None = None) -> list[tuple[str, ...]]:
    """The sets held out together: one fold per set (leave one set out) when `folds` is None or at least the number
    of sets, else `folds` groups dealt in turn (set i to group i mod folds), so that each group mixes early and late
    sets and the same names always give the same groups."""
    if folds is not None and folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, not {folds}")
    if folds is None or folds >= len(names):
        return [(name,) for name in names]
    return [tuple(names[i::folds]) for i in range(folds)]


def out_of_fold(
    sets: Mapping[str, Sequence[Example]], params: LearnParams = LEARN, workers: int = 1, folds: int | None = None
) -> tuple[list[str], np.ndarray]:
    """Every example's logits from weights learned on the sets outside its fold (fold_groups: by default, leave one
    set out); (set of each row, logits), in the order of `sets`. The folds are independent fits: with `workers` > 1
    they run on that many forked processes (the command line's choice; see tagging.pool for why the library's
    default is one), with the same result."""
    from .tagging.pool import map_batches

    global _FOLDS
    groups = fold_groups(list(sets), folds)
    _FOLDS = (sets, params)
    try:
        blocks = list(map_batches(_fold_logits, groups, workers))
    finally:
        _FOLDS = None
    by_set: dict[str, np.ndarray] = {}
    for held, block in zip(groups, blocks):
        ends = np.cumsum([len(sets[name]) for name in held])[:-1]
        by_set.update(zip(held, np.split(block, ends)))
    names = [name for name, held in sets.items() for _ in held]
    return names, (np.vstack([by_set[name] for name in sets]) if by_set else np.zeros((0, len(LABELS))))


def cross_validate(
    sets: Mapping[str, Sequence[Example]],
    params: LearnParams = LEARN,
    calibrate_on: Callable[[str], bool] | None = None,
    workers: int = 1,
    folds: int | None = None,
) -> list[FoldScore]:
    """Each set scored by weights learned from the sets outside its fold (by default, every other set); the last row
    pools every set's predictions. Each set's probabilities are calibrated on the other sets' out-of-fold logits
    (those `calibrate_on` accepts, as `learn_calibrated` does). `workers`, `folds`: as out_of_fold."""
    from .tagging.pool import map_batches

    global _SCORING
    names, z = out_of_fold(sets, params, workers, folds)
    examples = [e for group in sets.values() for e in group]
    # each set's calibration is a fit of its own (most of the time once the folds are learned): on the workers too
    _SCORING = (sets, params, np.array(names), z, examples, _accepted(names, calibrate_on))
    try:
        verdicts = list(map_batches(_held_out_verdicts, list(sets), workers))
    finally:
        _SCORING = None
    rows = []
    pooled: list[tuple[Example, Prediction]] = []
    for name, verdict in zip(sets, verdicts):
        predictions = list(zip(sets[name], verdict))
        pooled.extend(predictions)
        rows.append(_fold(name, predictions))
    rows.append(_fold("all", pooled))
    return rows


_SCORING: tuple | None = None


def _held_out_verdicts(name: str) -> list[Prediction]:
    """The verdicts on set `name` of the cross_validate call under way: its out-of-fold logits, with probabilities
    calibrated on the other sets' out-of-fold logits."""
    assert _SCORING is not None
    sets, params, names, z, examples, accepted = _SCORING
    inside = names == name
    calibration = _calibration_on(z, examples, ~inside & accepted)
    return decide([e.features for e in sets[name]], z[inside], params, calibration)


def learn_calibrated(
    sets: Mapping[str, Sequence[Example]],
    params: LearnParams = LEARN,
    calibrate_on: Callable[[str], bool] | None = None,
    workers: int = 1,
    folds: int | None = None,
) -> Classifier:
    """Weights learned from every set, with probabilities calibrated on out-of-fold logits (each set scored by
    weights learned from the others, or from the other `folds`: as out_of_fold): what `mapdata learn` writes. With
    `calibrate_on`, only the sets it accepts (by name) calibrate: the weights of the other languages learn from English
    too, but their probabilities must mean what they say for the other languages."""
    examples = [e for group in sets.values() for e in group]
    model = learn(examples, params)
    if len(sets) < 2:
        return model  # no briefs the weights did not see: uncalibrated
    names, z = out_of_fold(sets, params, workers, folds)
    model.calibration = _calibration_on(z, examples, _accepted(names, calibrate_on))
    return model


def _accepted(names: Sequence[str], calibrate_on: Callable[[str], bool] | None) -> np.ndarray:
    """Which examples (by their set's name) may calibrate: all of them, or those `calibrate_on` accepts."""
    return np.array([calibrate_on is None or calibrate_on(n) for n in names], dtype=bool)


def _calibration_on(z: np.ndarray, examples: Sequence[Example], chosen: np.ndarray) -> Calibration:
    """The calibration fitted on the out-of-fold logits `z` of the `chosen` examples."""
    return fit_calibration(z[chosen], [e for e, c in zip(examples, chosen) if c])


def tone_confidence_error(predictions: Iterable[tuple[Example, Prediction]]) -> float | None:
    """The expected calibration error of the tone confidence over predictions of examples with a gold tone."""
    toned = [(e, p) for e, p in predictions if e.tone is not None]
    if not toned:
        return None
    return expected_calibration_error([p.tone_confidence for _, p in toned], [p.tone == e.tone for e, p in toned])


def _fold(name: str, predictions: list[tuple[Example, Prediction]]) -> FoldScore:
    topic_f1, tone_accuracy = score(predictions)
    lexicon_f1, lexicon_tone = score((e, e.lexicon) for e, _ in predictions)
    toned = [(p.tone_confidence, p.tone == e.tone) for e, p in predictions if e.tone is not None]
    return FoldScore(
        name,
        len(predictions),
        topic_f1,
        tone_accuracy,
        lexicon_f1,
        lexicon_tone,
        tone_confidence_error(predictions),
        unsure_error_share(toned),
    )
