"""Non-English news: the language of each item, and countries, organisations, lead actor, topics and tone read in
Russian, Ukrainian, Polish, German, French and Spanish, with evidence that points into the original text."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from mapdata import language, settings
from mapdata.evaluate import evaluate
from mapdata.feeds import read_file
from mapdata.models import Item
from mapdata.tagging import default_tagger, languages
from support import DATA

BLIND = DATA / "languages_blind_briefs.jsonl"
ENGLISH_SETS = [DATA / "blind_briefs.jsonl", DATA / "seed_briefs.jsonl"]
LABELLED = [BLIND, *settings.training_sets(english=False), *ENGLISH_SETS]  # every language's briefs


def tag(text: str, lang: str = ""):
    return default_tagger().tag(Item.create(text, date(2025, 11, 1), lang=lang))


def golds(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_language_of_every_labelled_brief_is_told_from_its_text():
    briefs = [g for path in LABELLED for g in golds(path)]
    wrong = [(g["id"], language.detect(g["text"])) for g in briefs if language.detect(g["text"]) != g.get("lang", "en")]
    assert len({g.get("lang", "en") for g in briefs}) == 7
    assert len(wrong) / len(briefs) <= 0.02, wrong


def test_plain_texts_are_told_without_the_model_and_never_against_it():
    briefs = [g for path in LABELLED for g in golds(path)]
    told = [(g, language.plainly(g["text"])) for g in briefs]
    fast = [(g, lang) for g, lang in told if lang]
    english = [lang for g, lang in told if g.get("lang", "en") == "en"]
    assert english.count("en") / len(english) > 0.95  # most of what mapdata reads skips the model (speed) ...
    assert len(fast) / len(briefs) > 0.7
    # ... and whenever the shortcut answers, the label agrees with it. The model does not always: three Russian briefs
    # (with ы or ё, which no other language the model knows writes without a letter of its own) it reads as
    # Ukrainian or Bulgarian; the shortcut is then right where the model alone was wrong
    assert [(g["id"], lang) for g, lang in fast if lang != g.get("lang", "en")] == []
    overruled = [g for g, lang in fast if lang != language.classify(g["text"])[0]]
    assert len(overruled) <= 3 and {g.get("lang", "en") for g in overruled} <= {"ru"}


@pytest.mark.parametrize(
    "text",
    [
        "Congo Republic praised Syria over nuclear talks, officials in GRU said.",
        "Egypt condemned Somalia over security council vote, officials in Tbilisi said.",
    ],
)
def test_a_headline_whose_few_function_words_carry_punctuation_is_told_without_the_model(text):
    # "said." and "talks," are English words too: read without their punctuation, as the model reads the text
    assert language.plainly(text) == "en" == language.classify(text)[0]


# Languages the model knows that mapdata does not read: the shortcut must leave every one of them to the model.
OTHERS = {
    "pt": "O governo brasileiro anunciou que não vai enviar tropas para a fronteira com a Venezuela, disse o ministro.",
    "it": "Il governo italiano ha convocato l'ambasciatore russo dopo gli attacchi contro i civili, ha detto il ministro.",
    "ca": "El govern català ha demanat a la Unió Europea que reconegui el català com a llengua oficial.",
    "nl": "De Nederlandse regering heeft de Russische ambassadeur ontboden na de aanval op het schip in de Noordzee.",
    "cs": "Česká vláda ve středu schválila vyslání vojáků na Slovensko, řekl ministr obrany po jednání s partnery.",
    "be": "Лукашэнка правёў перамовы з Пуціным у Мінску і заявіў пра ўзмацненне супрацоўніцтва паміж краінамі.",
    "bg": "Българското правителство одобри изпращането на военна помощ за Украйна, съобщи министърът на отбраната.",
    "bg-no-ъ": "Бойко Борисов заяви, че ГЕРБ няма да подкрепи кабинета. Правителството прие решение за помощ за Украйна.",
    "mk": "Премиерот Мицкоски денес во Брисел разговараше со претседателот на Европскиот совет за преговорите со ЕУ.",
    "tg": "Ҳукумати Тоҷикистон имрӯз дар Душанбе бо ҳайати Чин вохӯрд ва дар бораи ҳамкориҳои иқтисодӣ гуфтугӯ кард.",
    "kk": "Қазақстан Президенті Ресей мен Қытай басшыларымен кездесіп, өзара ынтымақтастықты талқылады.",
}


@pytest.mark.parametrize("lang", sorted(OTHERS))
def test_the_shortcut_leaves_other_languages_to_the_model(lang):
    assert language.plainly(OTHERS[lang]) == ""


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # names fill the model's 120 bytes and "der" kept them from the shortcut: French at 0.33, English by its words
        (
            "Spanish Prime Minister Pedro Sanchez and European Commission President Ursula von der Leyen pledged 210 "
            "million euros to Mauritania during a visit to Nouakchott, aiming to curb migrant departures.",
            "en",
        ),
        ("Sri Lankan president flees to Maldives amid mass protests", "en"),  # unsure, but English the likeliest
        # a headline of names in another language keeps the model's unsure reading: it has no English words of its
        # own ("in" is German's too; Slovak's "to", "on" and "a" are not two of English's own)
        ("Netanjahu trifft Trump und Witkoff in Washington", "de"),
        ("Meloni a Washington da Trump: dazi, Ucraina e Nato.", "it"),
        ("Fico v Moskve: to on a Putin dohodli, Pellegrini mlčí", "sk"),
    ],
)
def test_an_english_text_the_model_is_unsure_of_is_told_by_its_own_words(text, expected):
    assert language.detect(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the model is unsure (Russian at 0.40), or reads Bulgarian: the soft signs ("ль", "нь") say Russian
        ("Польша направила ноту протеста Минску.", "ru"),
        ("Си Цзиньпин и Нарендра Моди на полях саммита БРИКС в Казани провели первую за пять лет встречу.", "ru"),
        # Bulgarian writes "ь" only before "о", and stays Bulgarian; Macedonian writes none, and "ќ" no Russian
        ("Шофьорите протестираха пред парламента в София.", "bg"),
        ("Правителството прие решение за помощ за Украйна.", "bg"),
        ("Мицкоски ќе се сретне со Орбан.", "mk"),
        ("Меѓународниот монетарен фонд одобри нов заем за Украина.", "mk"),  # the model alone: Russian at 0.41
        # short, unsure, Russian the likeliest and no other language's letter: read as Russian
        ("Стармер посетил Киев.", "ru"),
    ],
)
def test_short_cyrillic_texts_are_told_by_their_letters(text, expected):
    assert language.detect(text) == expected


def test_short_sentences_in_six_cyrillic_languages():
    """380 one-sentence news items (a third of them 3 to 6 words) in Russian, Ukrainian, Belarusian, Bulgarian,
    Macedonian and Serbian, written for this test by a helper who saw none of the detector: Russian is told, and the
    languages the tagger does not read are rarely read as Russian."""
    rows = golds(DATA / "cyrillic_sentences.jsonl")
    told: dict[str, list[str]] = {}
    for row in rows:
        told.setdefault(row["lang"], []).append(language.detect(row["text"]))
    assert sorted(told) == ["be", "bg", "mk", "ru", "sr", "uk"] and len(rows) == 380

    def right(lang: str) -> float:
        return told[lang].count(lang) / len(told[lang])

    # measured: ru 116 of 120, uk and be every one, bg 71 of 80, mk 36 of 40, sr 35 of 40
    assert right("ru") >= 0.95 and right("uk") == right("be") == 1.0
    assert min(right("bg"), right("mk"), right("sr")) >= 0.85
    assert sum(told[lang].count("ru") for lang in told if lang != "ru") <= 3  # 2 Bulgarian, 1 Serbian


@pytest.mark.parametrize("lang", ["ru", "uk", "pl", "de", "fr", "es"])
def test_the_held_out_briefs_meet_the_first_steps_targets(lang):
    """Issue 16's targets, per language, on the 50 held-out briefs of each language that no weight was learned from
    and nothing was tuned on (docs/languages.md). Measured with the weights as shipped (five rounds, and English's
    dev11 to dev22): topics 0.754-0.809, tone 0.700-0.820 (Polish tone on its target, 35 of 50); a change that loses a
    target here loses it on news nobody tuned on."""
    scores, _ = evaluate(BLIND, lang=lang)
    assert scores.items == 50
    assert scores.country_f1 >= 0.95 and scores.country_exact >= 0.85
    assert scores.organisation_f1 >= 0.90 and scores.lead_accuracy >= 0.80
    assert scores.topic_f1 >= 0.75 - 1e-9 and scores.tone_accuracy >= 0.70 - 1e-9
    assert scores.lang_accuracy >= 0.98


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
        # Antarctica is no state's, in every language as in English (its claimants are)
        ("Аргентина претендует на часть Антарктиды, заявило правительство.", ["AR"], [], "AR"),
        ("Argentinien beansprucht Teile der Antarktis, sagte die Regierung.", ["AR"], [], "AR"),
        ("L'Argentine revendique une partie de l'Antarctique, a déclaré le gouvernement.", ["AR"], [], "AR"),
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


def test_the_store_keeps_the_language_and_exports_and_filters_carry_it(engine, tmp_path):
    from mapdata import export, store
    from mapdata.corrections import retag
    from mapdata.filters import Filters
    from mapdata.ingest import ingest_paths

    feed = tmp_path / "mixed.jsonl"
    rows = [
        {"id": "ru1", "date": "2025-11-01", "text": "Лукашенко провёл переговоры с Путиным в Минске."},
        {"id": "de1", "date": "2025-11-01", "text": "Am Montag hat Polen die Grenze zu Belarus geschlossen."},
        {"id": "en1", "date": "2025-11-01", "text": "Poland closed its border with Belarus after migrants crossed."},
        {"id": "xx1", "date": "2025-11-01", "text": "Минск.", "lang": "ru"},  # too short: the feed's language
    ]
    feed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert ingest_paths(engine, [feed]).new == 4
    frames = store.load_frames(engine)
    langs = dict(zip(frames.items["id"], frames.items["lang"].astype(str), strict=True))
    assert langs == {"ru1": "ru", "de1": "de", "en1": "en", "xx1": "ru"}
    russian = Filters(languages=("ru",)).apply(frames)
    assert sorted(russian.items["id"]) == ["ru1", "xx1"]
    csv_text = export.to_csv(frames)
    header = csv_text.splitlines()[0].split(",")
    assert header[-1] == "lang"  # last: every column before it keeps its place in a reader's spreadsheet
    assert {r["id"]: r["lang"] for r in export.jsonl_records(frames)} == langs
    # the Russian item's evidence points into its own text, as stored
    tags = frames.tags[frames.tags["item_id"] == "ru1"]
    assert set(tags["phrase"]) == {"Лукашенко", "Путиным", "Минске"}
    # the panel shows the item in its language, its tagged phrases marked
    from mapdata.frames import by_ids
    from mapdata.markup import item_html

    panel = item_html(by_ids(frames, ["ru1"]), limit=1, more="")
    assert 'class="lang" title="Russian">ru</span>' in panel and '<span lang="ru">' in panel
    assert panel.count("<mark") == 3 and ">Путиным</mark>" in panel
    # re-tagging reads each item in its language again
    retag(engine, default_tagger(), "test")
    again = store.load_frames(engine).items
    assert dict(zip(again["id"], again["lang"].astype(str), strict=True)) == langs


@pytest.mark.parametrize(
    ("text", "countries", "organisations"),
    [
        # simplemma lists "Гуам" as a form of "Грузія": a form and its lemma must begin alike
        ("Літак ВПС США приземлився на Гуамі, а Грузія засудила навчання.", ["GE", "US"], []),
        # "Mali" is also a form of "mały" (small): a name written alone is its own lemma
        ("ECOWAS potwierdziła wystąpienie Mali, Burkina Faso i Nigru z organizacji.", ["BF", "ML", "NE"], ["ECOWAS"]),
        # an acronym is itself: "CAN" (the Comunidad Andina) lemmatised would be the noun "can"
        ("Las tropas de la OTAN llegaron a Letonia; la CAN guardó silencio.", ["LV"], ["CAN", "NATO"]),
        # a case form no dictionary holds, found with its ending cut off
        ("ЭКОВАС сняло санкции с Нигера и Гвинеи.", ["GN", "NE"], ["ECOWAS"]),
        # Ukrainian media write росія in lower case
        ("Катар допоміг повернути дітей, яких росія вивезла.", ["QA", "RU"], []),
        # a phrase that contains a name but names no actor
        ("Les trois pays baltes ont quitté la convention d'Ottawa.", [], []),
        # French and Spanish do not decline names: a name is not matched by a stem it shares with another word
        # ("George" and "Géorgie", "Guyana" and "Guyane", "Alberto" and "Alberta")
        ("George Weah a remporté l'élection présidentielle au Liberia.", ["LR"], []),
        ("Le Guyana et le Venezuela se disputent l'Essequibo.", ["GY", "VE"], []),
        ("La Guyane accueille la base de lancement de Kourou.", ["FR"], []),
        ("El presidente Alberto Fernández anunció que Argentina cierra sus fronteras.", ["AR"], []),
        # ... and the adjective written like the name ("china", "argentina") is still the adjective
        ("Buques de la Guardia Costera china atacaron a una embarcación filipina.", ["CN", "PH"], []),
        # ... and a word whose stem is a name's key is not that name ("Navidades", Christmas, is not Navidad)
        ("Navidades bajo las bombas: Gaza celebra sin luz.", ["PS"], []),
        ("Les îles Falkland restent contestées.", ["GB"], []),
        # a headline in capitals: its words are words, not acronyms ("UN" is the article), but for the acronyms the
        # data files name
        ("LA CHINE ET LA FRANCE SIGNENT UN ACCORD COMMERCIAL À PÉKIN", ["CN", "FR"], []),
        ("ESPAÑA Y MARRUECOS FIRMAN UN ACUERDO EN RABAT", ["ES", "MA"], []),
        ("DEUTSCHLAND UND FRANKREICH UNTERZEICHNEN EIN ABKOMMEN IN BERLIN", ["DE", "FR"], []),
        ("ЛУКАШЕНКО ПРОВЁЛ ПЕРЕГОВОРЫ С ПУТИНЫМ В МИНСКЕ", ["BY", "RU"], []),
        ("LA ONU CONDENA EL ATAQUE CONTRA UCRANIA", ["UA"], ["UN"]),
        ("НАТО И ЕС ОСУДИЛИ РОССИЮ", ["RU"], ["EU", "NATO"]),
    ],
)
def test_the_matchers_guards(text, countries, organisations):
    result = tag(text)
    assert (list(result.countries), list(result.organisations)) == (countries, organisations)


@pytest.mark.parametrize(
    "text",
    ["Pékin rappelle sa politique d'une Chine unique.", "Taiwán rechaza la política de una sola China de Pekín."],
)
def test_a_cue_that_holds_a_name_is_found_with_the_name_written_as_a_name(text):
    # "chine unique", "una sola China": the cue is written in lower case, the text writes the name with a capital
    pack = languages.pack(language.detect(text))
    assert "sovereignty" in [cue.label for _, _, cue in pack.hits(text, pack.tokens(text))]


def test_the_other_languages_leave_every_english_tag_as_it_was():
    # English text is read by the English tables and weights alone: the output of the whole English seed gold,
    # with and without the language detector, is the same record for record
    items = read_file(DATA / "seed_briefs.jsonl").items
    detected = default_tagger().tag_many(items)
    forced = default_tagger().tag_many(items, lang="en")
    assert [t.lang for t in detected] == ["en"] * len(items)
    assert [t.to_json() for t in detected] == [t.to_json() for t in forced]
    assert default_tagger().languages_classifier is not default_tagger().classifier


def test_a_bad_row_in_a_language_file_says_where(tmp_path, monkeypatch):
    from mapdata.errors import DataFileError
    from mapdata.gazetteer import load
    from mapdata.tagging import languages
    from support import ROOT

    data = tmp_path / "data"
    (data / "i18n").mkdir(parents=True)
    for path in (ROOT / "data").glob("*.*"):
        (data / path.name).write_bytes(path.read_bytes())
    (data / "i18n" / "ru.csv").write_text("phrase,code,kind,note\nМинск,BY,capital,\nГродно,XX,place,\n", "utf-8")
    monkeypatch.setenv("MAPDATA_DATA_DIR", str(data))
    with pytest.raises(DataFileError, match=r"ru\.csv, line 3: 'XX' is not a country code"):
        languages.build("ru", load())
