"""The lead actor of an item: the one that acts, not the one acted on or the dateline's city."""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import pairwise

from ..models import Tag
from .sentences import first_sentence_end, sentence_ends

#: a text of this many sentences or more is an article, not a brief: its lead actor is not joined to every actor
ARTICLE_SENTENCES = 4
#: in an article, actors named in this many opening sentences are joined to the lead actor wherever it is named
OPENING_SENTENCES = 2

# Words before an actor that mark it as an object or a setting rather than the one who acts.
NOT_SUBJECT = frozenset(
    "in to with against on from at into toward towards for by over near across between via about after before "
    "than like inside outside within upon".split()
)
# "KYIV — ", "BEIRUT (AP) — ", "WASHINGTON, Nov 3 (Reuters) - ": a wire dateline before the first sentence
# French and Italian elide an article or preposition onto the name ("l'Iran", "d'Israël"): a word of its own
_ELISION = re.compile(r"(?<=\b[lLdD])['’]")
_DATELINE = re.compile(r"\s*[A-Z][A-Z'’.\- ]*[A-Z.](?:, [^—–()\n]{1,30}?)?(?: \([^()\n]{1,40}\))?\s*(?:—|–|--| - )\s*")


ARTICLES = frozenset({"the", "a", "an"})
# what stands between two actors of a list: a comma ("Spain, Britain"), a conjunction ("Spain and Britain") or both
_LISTED = re.compile(r"\s*(?P<comma>,)?\s*(?P<conjunction>(?:and|or)\s+)?(?:the\s+)?", re.I)
# a passive verb with its agent: "was extended by", "were fired at Israel by" (a short phrase may stand between)
_PASSIVE = re.compile(r"\b(?:was|were|been|being|is|are|be)\s+(?:[a-z]+ly\s+)?([a-z]+)\b[^.;:,]{0,50}?\bby\s+", re.I)
_IRREGULAR_PARTICIPLES = frozenset(
    "struck hit held made taken given shot seen brought sent sold built caught won led set cut put shut kept told "
    "paid met laid spent beaten broken chosen driven frozen hidden shaken spoken stolen sworn thrown torn written "
    "drawn grown known shown blown flown begun run sunk fought bought sought taught dealt left lent meant swept "
    "upheld withdrawn overthrown undertaken overseen forbidden bound found hung read rebuilt overrun".split()
)
_AGENT_CHARS = 40  # the agent is named within this many characters after "by" ("by a court near Moscow")
# A first sentence whose main verb is passive ("An unmanned U.S. Navy drone was shot down over the Strait of Hormuz by
# Iran's Revolutionary Guards", "Entry bans on 500 Americans were announced on Friday by Russia's foreign ministry"): its
# agent acts, whatever actors the subject names. The verb is the sentence's main one only when what comes before its
# finite "be" (not "to be") reads as a plain subject: no other verb, no word that opens another clause or reports, no
# line break (a headline). Where that is in doubt the rule stays silent, and the sentence is read as before.
_MAIN_PASSIVE = re.compile(
    r"\b(?:was|were|is|are|(?:has|have|had|will|would|could|can|may|might|must|should)\s+be(?:en)?)\s+"
    r"(?:(?:being|also)\s+)?(?:[a-z]+ly\s+)?([a-z]+)\b[^.;:,\n]{0,50}?\bby\s+",
    re.I,
)
# what a plain subject never holds: a word that opens another clause, joins two, reports or believes, or an auxiliary
_CLAUSE_BEFORE = re.compile(
    r"[;:\n]|,\s+and\b|\b(?:that|which|who|whom|whose|where|when|while|whether|if|because|but|though|although|after|"
    r"before|as|once|saying|adding|has|have|had|will|would|can|could|may|might|must|should|shall|do|does|did|says?|"
    r"said|told|tells|know|knows|knew|thinks?|thought|fears?|feared|wants?|wanted|den(?:y|ies|ied)|"
    r"(?:report|claim|add|warn|ask|call|insist|suspect|maintain|confirm|expect)(?:s|ed)?|"
    r"(?:announc|believ|accus|urg|alleg|conclud|acknowledg|argu|hop|estimat)(?:e|es|ed))\b",
    re.I,
)
# "and" joins two actors of the subject ("deliveries to Poland and Bulgaria were halted by ..."), or two clauses
_AND = re.compile(r"\band\b", re.I)
_JOINED = re.compile(r"\s*,?\s*and\s+(?:(?:the|a|an)\s+)?", re.I)
# a verb right after an actor, or after its possessive and a noun or two ("Iran launched", "Russia sent", "Poland
# suspects", "Russia's foreign ministry insisted", "German investigators concluded"): an active clause comes first
_VERB_AFTER = re.compile(
    r"(?:['’]s)?(?:\s+[a-z][\w-]*){0,2}?\s+(?:[a-z]+ed|struck|hit|held|made|took|gave|shot|saw|brought|sent|sold|built|"
    r"caught|won|led|set|cut|put|shut|kept|paid|met|laid|spent|broke|chose|drove|froze|hid|spoke|stole|swore|threw|"
    r"drew|grew|showed|blew|flew|began|ran|sank|fought|bought|sought|dealt|left|swept|upheld|withdrew|overthrew|found|"
    r"seized|pounds|hits|warns|sends|strikes|launches|urges|vows|pledges|signs|rejects|accuses|slams|blames|bans|"
    r"orders|says|tells|seeks|plans|moves|agrees|calls|denies|fears|insists|suspects|maintains|thinks|believes)\b"
)
# participles of a feeling or of company, whose "by" names no one acting on the subject ("Poland is alarmed by Russia's
# deployment", "Zelenskiy was joined by European leaders")
_NO_AGENT = frozenset(
    "concerned alarmed worried angered outraged shocked stunned disappointed irked troubled dismayed frustrated "
    "pleased encouraged surprised bound joined accompanied followed flanked surrounded inspired affected".split()
)
# what may not stand between "by" and its agent: a preposition ("by pirates off Somalia") or a comma ("by a stray
# missile, Ukrainian officials said")
_PREPOSITIONS = NOT_SUBJECT | frozenset("of off along under amid beyond around through that who which".split())
# the agent named by a demonym is a person or a group, not its state ("by Serb gunmen", "by an Israeli settler", "by a
# Mexican drug cartel"); nor is a country whose name only says where a weapon was made ("by U.S.-made missiles")
_NOT_THE_STATE = re.compile(
    r"(?:\s+[\w-]+){0,2}?\s+(?:gunm[ae]n|militants?|militias?|militiam[ae]n|rebels?|insurgents?|separatists?|"
    r"jihadists?|extremists?|fighters?|guerrillas?|gangs?|gangsters?|mobs?|protesters?|demonstrators?|rioters?|"
    r"hackers?|pirates?|smugglers?|traffickers?|settlers?|attackers?|assailants?|nationalists?|hooligans?|fans?|m[ae]n|"
    r"wom[ae]n|youths?|tourists?|cartels?|farmers?|drivers?|students?|nationals?|citizens?|businessm[ae]n|tycoons?|"
    r"oligarchs?|billionaires?|companies|company|firms?|clubs?|teams?|players?)\b",
    re.I,
)
_MADE_IN = re.compile(
    r"-(?:made|designed|built|supplied|developed|manufactured|produced|flagged|owned|registered|based|backed|linked|"
    r"sponsored|funded|trained|aligned|allied)\b"
)
# People or a body placed by a preposition open the sentence ("A court in Vilnius sentenced", "Judges at the ICC
# issued", "Authorities in the United Arab Emirates extradited"): the place stands for who acts. Before the noun come a
# name ("Houthi authorities") and words of a closed list, so that a verb and its object ("Drones attacked troops in
# Kursk") never pass.
_PLACED_SUBJECT = re.compile(
    r"\s*(?:(?:the|a|an)\s+)?(?:(?:thousands|hundreds|dozens)\s+of\s+)?(?:(?-i:[A-Z][a-z]+)\s+)?"
    r"(?:(?:most|many|some|several|police|military|federal|supreme|regional|local|district|appeals?|constitutional|"
    r"high|criminal|top|senior|security|border|health|government|state|election|electoral|customs|immigration|"
    r"interior|opposition|special|civil|administrative|provincial|municipal|city|national|riot|anti-corruption)\s+){0,2}"
    r"(?:courts?|judges?|authorities|officials?|police|officers|prosecutors?|lawmakers|legislators|voters|"
    r"investigators|regulators|negotiators|diplomats|rescuers|protesters|demonstrators|ministers|leaders|troops|"
    r"soldiers|forces|guards)\s+(?:in|at|from)\s+(?:the\s+)?",
    re.I,
)
# ... unless they only report what another did ("Officials in Kyiv said Russia launched 100 drones")
_REPORTING = re.compile(r"\s+(?:said|say|says|told|reported|claimed|alleged|believe|believed)\b")
# An opening phrase or clause runs to its comma; a full stop inside it is an abbreviation's ("U.S.")
_UP_TO_COMMA = r"(?:[^,.;:!?]|\.(?=[\w,]|\s+[a-z]))"
# An English sentence that opens with a phrase of place or time, up to its comma ("In the Black Sea port of Odesa,",
# "After floods in Pakistan's Sindh province displaced 300,000 people,", "Following U.S. sanctions on Rosneft,"): its
# actors set the scene when its preposition, an "of", a possessive or a list governs each of them; "On Monday Russia
# struck Kyiv with drones, ..." names its subject inside. "At least 61 migrants" and "About 300" are subjects.
_OPENING_PHRASE = re.compile(
    r"\s*(In|At|On|After|Before|During|Following|Amid|Inside|Outside|Within|Near|Across)\s+(?!least\b|\d)"
    + _UP_TO_COMMA
    + r"{1,80},",
    re.I,
)
_POSSESSIVE = re.compile(r"['’]s?\s+")
# words of quantity: "two", "more than 2 million", "thousands of"
_QUANTITY = (
    r"(?:the|a|an|some|about|around|nearly|almost|just|only|over|under|more|less|fewer|than|at|least|up|to|of|few|"
    r"several|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|\d[\d,.]*)"
)
# "Ten years after Russia annexed Crimea, the EU said ...", "When Iran seized the tanker, Britain ...": an opening
# clause of time, up to its comma, is the scene whatever it names; the subject is in the clause after it. Not when
# what follows the comma only says who reported the whole ("Since 2014 Russia has occupied Crimea, Kyiv said"), nor
# when the comma is a list's ("When Russia, China and Iran met ...": the clause has two words at least)
_OPENING_CLAUSE = re.compile(
    rf"\s*(?:(?:{_QUANTITY}\s+){{0,3}}(?:minutes?|hours?|days?|weeks?|months?|years?|decades?)\s+(?:after|before|since)"
    r"|after|before|since|when|once(?!\s+again\b)|until)\s+(?=[^,\s]+\s+[^,]*,)" + _UP_TO_COMMA + r"{1,120},",
    re.I,
)
_ATTRIBUTION = re.compile(
    r"[^,;:]{0,60}?\b(?:said|says|told\s+reporters|reported|reports|claimed|announced)(?:\s+on\s+\w+)?\W*$", re.I
)
# "'Minsk is playing with fire,' Poland's foreign minister said ...": a sentence that opens with a quotation, then
# says who spoke, has the speaker for its subject; the actors quoted are what was said. The quotation ends at its own
# closing mark (an apostrophe inside a word, "isn't", is no mark) with a comma, "?" or "!", and a verb of speech follows
# soon, so that a term in quotation marks ('"Special military operation" in Ukraine ...') is not one.
_OPENING_QUOTE = re.compile(
    r"\s*(?:\"[^\"\n]{1,400}?|“[^”\n]{1,400}?|«[^»\n]{1,400}?|['‘](?:[^'‘’\n]|['’](?=\w)){1,400}?)"
    r"(?:[,!?…][\"”»'’]|[\"”»'’],)\s+"
    r"(?=[^.!?\n]{0,100}?\b(?:said|says|told|asked|added|wrote|declared|insisted|warned|stated|posted|tweeted)\b)"
)
# "According to Pakistan's military, its air force shot down ...": a source, then what it reports. When the report
# opens with an actor ("According to state media, Russia launched ...", "overnight, 56 Chinese aircraft ..."), that
# actor acts; when it opens with anything else ("its forces", "the bloc", "the death toll", "police"), the source is
# the one the item is about ("a court in ..." is read as any sentence is).
_ACCORDING = re.compile(r"\s*According to\s+[^,;:.!?]{1,80},\s+", re.I)
_OPENS_WITH_ACTOR = re.compile(
    rf"(?:(?:overnight|earlier|later|yesterday|today|early|late|on\s+\w+|last\s+\w+|this\s+\w+),?\s+)?(?:{_QUANTITY}\s+)*",
    re.I,
)


def lead_actor(
    text: str,
    tags: list[Tag],
    first_end: int | None = None,
    not_subject: frozenset[str] = NOT_SUBJECT,
    articles: frozenset[str] = ARTICLES,
    english: bool = True,
) -> Tag | None:
    """The actor that acts: the first actor of the first sentence not governed by a preposition, unless the
    sentence opens with people placed by it ("A court in Vilnius sentenced"), with a quotation (then its speaker) or
    with the source it cites ("According to X, its troops ..."), else the agent of a passive verb,
    else the first named (`first_end`: where the first sentence ends, when the caller knows; `not_subject` and
    `articles`: the language's prepositions and articles, English's by default; `english`: also read English's
    placed subjects, opening phrases and passive verbs, which the other languages' tables do not describe)."""
    if len(tags) < 2:
        return tags[0] if tags else None  # every rule below chooses among the tags: one is the lead whatever it says
    end = first_sentence_end(text) if first_end is None else first_end
    dateline = _DATELINE.match(text)
    # the dateline city ("KYIV — A Russian missile ...") is where the news was filed, not who acts
    after = [t for t in tags if t.start >= dateline.end()] if dateline else tags
    first = [t for t in after if t.start < end] or after or tags
    if english:
        opening = dateline.end() if dateline else 0
        quote = _OPENING_QUOTE.match(text, opening)
        if quote is not None:
            # the speaker, named in the sentence that goes on after the quotation (it may hold a full stop)
            stop = end if end > quote.end() else quote.end() + first_sentence_end(text[quote.end() :])
            first = [t for t in after if quote.end() <= t.start < stop] or first
            opening = quote.end()
        source = _ACCORDING.match(text, opening)
        if source is not None:
            cited = [t for t in first if t.start < source.end()]
            reported = [t for t in first if t.start >= source.end()]
            opens = bool(reported) and (
                _OPENS_WITH_ACTOR.fullmatch(text, source.end(), reported[0].start) is not None
                or _PLACED_SUBJECT.match(text, source.end()) is not None  # "a court in ...": read as usual
            )
            if cited and not opens:
                return cited[0]
            first = reported or first
            opening = source.end()
        scene = _OPENING_PHRASE.match(text, opening)
        if scene is None or not _sets_the_scene(text, scene, first, not_subject, articles):
            scene = _OPENING_CLAUSE.match(text, opening)
            if scene is not None and _ATTRIBUTION.match(text, scene.end(), max(end, scene.end())):
                scene = None
        if scene is not None:
            first = [t for t in first if t.start >= scene.end()] or first
            opening = scene.end()
        agent = _main_passive_agent(text, first, opening, end)
        if agent is not None:
            return agent
        lead = first[0]
        if (
            lead.start > opening
            and _PLACED_SUBJECT.fullmatch(text, opening, lead.start)
            and not _REPORTING.match(text, lead.end)
        ):
            return lead
    governed: Tag | None = None  # the last actor governed by a preposition, if the one before this
    for tag in first:
        if governed is not None and _listed_after(text, governed, tag):
            governed = tag  # "from Spain, Britain and Qatar": the preposition governs the whole list
            continue
        if _word_before(text, tag, articles).strip(",") not in not_subject:
            return tag
        governed = tag
    # no actor is the subject of the first sentence: the agent of a passive one ("... were signed by Vladimir
    # Putin"), else the first named
    agent = _passive_agent(text, first, end) if english else None
    return agent or first[0]


def _word_before(text: str, tag: Tag, articles: frozenset[str]) -> str:
    """The word before an actor, lower-cased, or the one before that when it is an article ("against the EU")."""
    before = text[: tag.start].rstrip(" \"'“‘(«„’")
    words = _ELISION.sub(" ", before[-60:]).rsplit(None, 2)[-2:]
    previous = words[-1].lower() if words else ""
    if previous in articles and len(words) == 2:
        previous = words[0].lower()
    return previous


def _sets_the_scene(
    text: str, scene: re.Match, tags: list[Tag], not_subject: frozenset[str], articles: frozenset[str]
) -> bool:
    """Whether every actor named in an opening phrase (see _OPENING_PHRASE) is governed inside it: by its
    preposition or another, by "of" ("the port of Odesa"), as a possessive's object ("Pakistan's Sindh province") or
    as the next of a list."""
    governors = not_subject | {"of", scene.group(1).lower()}
    earlier: Tag | None = None
    for tag in tags:
        if tag.start >= scene.end():
            break
        if not (
            (earlier is not None and _POSSESSIVE.fullmatch(text, earlier.end, tag.start))
            or (earlier is not None and _listed_after(text, earlier, tag))
            or _word_before(text, tag, articles).strip(",") in governors
        ):
            return False
        earlier = tag
    return True


def _listed_after(text: str, earlier: Tag, tag: Tag) -> bool:
    """Whether `tag` follows `earlier` in a list of actors: after a conjunction ("Spain and Britain"), or after a
    comma between actors of one kind ("from Spain, Britain"; not "In Islamabad, Iran and Pakistan agreed")."""
    gap = _LISTED.fullmatch(text, earlier.end, tag.start)
    if gap is None or not (gap["comma"] or gap["conjunction"]):
        return False
    return bool(gap["conjunction"]) or earlier.kind == tag.kind


def _passive_agent(text: str, tags: list[Tag], end: int) -> Tag | None:
    """The first actor named just after "by" in a passive verb of the first sentence ("was extended by Belarus")."""
    for match in _PASSIVE.finditer(text, 0, end):
        if _participle(match.group(1)):
            agent = _named_after_by(tags, match.end(), end)
            if agent is not None:
                return agent
    return None


def _participle(verb: str) -> bool:
    """Whether a passive's verb is a past participle ("extended", "shot"), not "is about" or "were all"."""
    verb = verb.lower()
    return verb.endswith("ed") or verb in _IRREGULAR_PARTICIPLES


def _named_after_by(tags: list[Tag], by_end: int, end: int) -> Tag | None:
    """The first actor named within _AGENT_CHARS after a passive's "by" (ending at `by_end`) and before `end`."""
    return next((tag for tag in tags if by_end <= tag.start < min(end, by_end + _AGENT_CHARS)), None)


def _main_passive_agent(text: str, tags: list[Tag], opening: int, end: int) -> Tag | None:
    """The agent of the first sentence's main verb when that verb is passive (see _MAIN_PASSIVE), else None: the
    first actor after its "by", before any comma or preposition ("by Iran's Revolutionary Guards", not "displaced by
    the war in Sudan") unless the agent is people placed by one ("by a court in Beijing")."""
    # the pattern is slow to search (it tries its alternation at every word) and most sentences hold no "by": only
    # [bB] and [yY] match b and y under re.I, and only they lower-case to them, so this skips no match
    if "by" not in text[opening:end].lower():
        return None
    match = _MAIN_PASSIVE.search(text, opening, end)
    if (
        match is None
        or not _participle(match.group(1))
        or match.group(1).lower() in _NO_AGENT
        or _CLAUSE_BEFORE.search(text, opening, match.start())
    ):
        return None
    before = [tag for tag in tags if opening <= tag.start < match.start()]
    if any(_VERB_AFTER.match(text, tag.end, match.start()) for tag in before):
        return None  # "Iran launched 300 drones at Israel, though all were intercepted by ...": an active clause first
    for found in _AND.finditer(text, opening, match.start()):
        # an "and" between two of the subject's actors joins them; any other may join two clauses
        if not any(
            _JOINED.fullmatch(text, a.end, b.start) and a.end <= found.start() < b.start for a, b in pairwise(before)
        ):
            return None
    tag = _named_after_by(tags, match.end(), end)
    if tag is None:
        return None
    gap = text[match.end() : tag.start]
    placed = _PLACED_SUBJECT.fullmatch(text, match.end(), tag.start)
    plain = "," not in gap and not _PREPOSITIONS.intersection(gap.lower().split())
    if not (plain or placed) or _MADE_IN.match(text, tag.end):
        return None
    if tag.kind == "demonym" and _NOT_THE_STATE.match(text, tag.end):
        return None
    return tag


def related_keys(text: str, tags: list[Tag], lead: Tag | None, ends: list[int] | None = None) -> tuple[str, ...] | None:
    """The actors an item's relation lines join its lead actor to, or None for every other actor it names.

    A brief (up to three sentences) is one event: its lead actor acts on every actor it names. An article names
    many countries in passing (background, comparisons, datelines of quotes), and a line to each of them draws a
    hairball; there the lead actor is joined only to the actors named in a sentence that also names it, or in
    the opening sentences. The others stay tags of the item: mentioned, not related."""
    if lead is None:
        return None
    ends = list(sentence_ends(text)) if ends is None else ends
    if len(ends) + 1 < ARTICLE_SENTENCES:
        return None
    sentence = [bisect_right(ends, t.start) for t in tags]
    with_lead = {n for t, n in zip(tags, sentence, strict=True) if t.key == lead.key}
    return tuple(
        sorted(
            {
                t.key
                for t, n in zip(tags, sentence, strict=True)
                if t.key != lead.key and (n < OPENING_SENTENCES or n in with_lead)
            }
        )
    )
