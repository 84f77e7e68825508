"""Non-English news: the language of each item, and countries, organisations, lead actor, topics and tone read in
Russian, Ukrainian, Polish, German, French and Spanish, with evidence that points into the original text."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from mapdata import language
from mapdata.evaluate import evaluate
from mapdata.feeds import read_file
from mapdata.models import Item
from mapdata.tagging import default_tagger
from support import DATA

BLIND = DATA / "languages_blind_briefs.jsonl"
ENGLISH_SETS = [DATA / "blind_briefs.jsonl", DATA / "seed_briefs.jsonl"]


def tag(text: str, lang: str = ""):
    return default_tagger().tag(Item.create(text, date(2025, 11, 1), lang=lang))


def golds(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_language_of_every_labelled_brief_is_told_from_its_text():
    briefs = golds(BLIND) + [g for path in ENGLISH_SETS for g in golds(path)]
    wrong = [(g["id"], language.detect(g["text"])) for g in briefs if language.detect(g["text"]) != g.get("lang", "en")]
    assert len({g.get("lang", "en") for g in briefs}) == 7
    assert len(wrong) / len(briefs) <= 0.02, wrong


def test_plain_english_is_told_without_the_model_and_never_claims_another_language():
    english = [g["text"] for path in ENGLISH_SETS for g in golds(path)]
    others = [g["text"] for g in golds(BLIND)]
    fast = [t for t in english if language.plainly_english(t)]
    assert len(fast) / len(english) > 0.9  # most English skips the model (speed) ...
    assert all(language._identifier().classify(t)[0] == "en" for t in fast)  # ... and the model agrees on all
    assert not any(language.plainly_english(t) for t in others)


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        ("Минск.", "", ""),  # too short to tell, nothing declared: not known
        ("Минск.", "ru-RU", "ru"),  # ... the feed's declared language
        ("Macron met Merz.", "de", "de"),  # a short text the model is unsure of: the declaration wins
        ("Лукашенко провёл переговоры с Путиным в Минске.", "en", "ru"),  # a clear text wins over a wrong tag
        ("Лукашенко провів переговори з Путіним у Мінську.", "", "uk"),
    ],
)
def test_a_declared_language_decides_only_what_the_text_cannot(text, declared, expected):
    assert language.detect(text, declared) == expected


def test_feeds_carry_their_declared_language(tmp_path):
    rss = tmp_path / "feed.xml"
    rss.write_text(
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Новости</title>"
        "<language>ru-RU</language><item><title>Минск.</title><pubDate>Sat, 01 Nov 2025 10:00:00 GMT</pubDate>"
        "</item></channel></rss>",
        encoding="utf-8",
    )
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text(json.dumps({"date": "2025-11-01", "text": "Kijów.", "language": "pl"}) + "\n", encoding="utf-8")
    (from_rss,) = read_file(rss).items
    (from_jsonl,) = read_file(jsonl).items
    assert (from_rss.lang, from_jsonl.lang) == ("ru", "pl")
    assert default_tagger().tag(from_rss).lang == "ru"
    assert default_tagger().tag(from_jsonl).countries == ("UA",)


@pytest.mark.parametrize(
    ("text", "countries", "organisations", "lead"),
    [
        ("Лукашенко провёл переговоры с Путиным в Минске.", ["BY", "RU"], [], "BY"),
        ("Польша закрыла границу с Беларусью, заявили в МИД.", ["BY", "PL"], [], "PL"),
        ("Литва вызвала посла России из-за инцидента на границе с Белоруссией.", ["BY", "LT", "RU"], [], "LT"),
        ("Зеленський провів переговори з Туском у Варшаві.", ["PL", "UA"], [], "UA"),
        ("Polska zamknęła granicę z Białorusią, a Litwa wezwała ambasadora Rosji.", ["BY", "LT", "PL", "RU"], [], "PL"),
        ("Litwa przekazała Ukrainie kolejny pakiet pomocy z Wilna.", ["LT", "UA"], [], "LT"),
        ("Frankreichs Präsident traf in Berlin den Bundeskanzler.", ["DE", "FR"], [], "FR"),
        ("Am Montag hat Polen die Grenze zu Belarus geschlossen.", ["BY", "PL"], [], "PL"),
        ("L'Iran a accusé les États-Unis et Israël de sabotage.", ["IL", "IR", "US"], [], "IR"),
        ("Selon l'ONU, le Mali a expulsé des diplomates français.", ["FR", "ML"], ["UN"], "ML"),
        ("Estados Unidos impuso sanciones a Venezuela y a Irán.", ["IR", "US", "VE"], [], "US"),
        ("La OTAN y la Unión Europea condenaron el ataque ruso contra Ucrania.", ["RU", "UA"], ["EU", "NATO"], "NATO"),
    ],
)
def test_inflected_names_in_six_languages(text, countries, organisations, lead):
    result = tag(text)
    assert list(result.countries) == countries
    assert list(result.organisations) == organisations
    assert result.lead_actor == lead
    # evidence points into the original text, in its own script and case
    assert all(text[t.start : t.end] == t.text for t in result.evidence)


def test_english_is_read_as_before_and_marked_english():
    result = tag("Poland closed its border with Belarus after migrants tried to cross.")
    assert (result.lang, result.countries, result.lead_actor) == ("en", ("BY", "PL"), "PL")
