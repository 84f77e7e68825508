"""The tagger against the hand-labelled seed, and the hard cases pinned with examples written for these tests."""

from __future__ import annotations

import json
from datetime import date

import pytest

from mapdata.errors import DataFileError
from mapdata.models import Item
from mapdata.tagging import Lexicon, default_tagger, first_sentence_end, inflections
from support import SEED_GOLD


def tag(text: str):
    return default_tagger().tag(Item.create(text, None))


def gold_items():
    return [json.loads(line) for line in SEED_GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("gold", gold_items(), ids=lambda g: g["id"])
def test_seed_countries_and_organisations_exact(gold):
    result = tag(gold["text"])
    assert list(result.countries) == gold["countries"]
    assert list(result.organisations) == gold["organisations"]


@pytest.mark.parametrize("gold", gold_items(), ids=lambda g: g["id"])
def test_seed_lead_actor(gold):
    assert tag(gold["text"]).lead_actor == gold["lead_actor"]


def test_evidence_spans_point_at_the_phrase():
    text = "Minister Péter Szijjártó was in Minsk, where Hungary's envoy met Russian officials."
    result = tag(text)
    for ev in result.evidence:
        assert text[ev.start : ev.end] == ev.text
    kinds = {(ev.text, ev.actor, ev.kind) for ev in result.evidence}
    assert ("Péter Szijjártó", "HU", "leader") in kinds
    assert ("Minsk", "BY", "capital") in kinds
    assert ("Hungary", "HU", "name") in kinds
    assert ("Russian", "RU", "demonym") in kinds


@pytest.mark.parametrize(
    ("text", "countries", "organisations"),
    [
        ("A Dutch court ruled against Emirati investors.", ["AE", "NL"], []),
        ("The Kremlin rejected the offer from Downing Street.", ["GB", "RU"], []),
        ("Brussels threatened new tariffs on Chinese steel.", ["CN"], ["EU"]),
        ("Erdoğan and Xi spoke by phone.", ["CN", "TR"], []),
        ("Erdogan visited the border.", ["TR"], []),
        ("Shelling hit Kherson Oblast and Crimea overnight.", ["UA"], []),
        ("Aid trucks entered Gaza.", ["PS"], []),
        ("Greenland's premier met Danish officials.", ["DK"], []),
        ("Protests spread in Puerto Rico.", ["US"], []),
        ("Burma and Swaziland were once known by those names.", ["MM", "SZ"], []),
        ("Troops left Niger while Nigeria watched.", ["NE", "NG"], []),
        ("South Sudan accused Sudan of shelling.", ["SD", "SS"], []),
        ("North Korea fired a missile toward South Korea.", ["KP", "KR"], []),
        ("Guinea-Bissau and Equatorial Guinea signed a pact.", ["GQ", "GW"], []),
        ("Chad Daybell was sentenced in Idaho.", ["US"], []),
        ("The family enjoyed a turkey dinner on china plates.", [], []),
        ("Ships crowded the Gulf of Finland.", [], []),
        ("The African Union and Australia held talks.", ["AU"], ["AU"]),
        ("The AU summit opened.", [], ["AU"]),
        ("Let us hope the US agrees.", ["US"], []),
        ("Talks in The Hague resumed.", ["NL"], []),
        ("A summit in Busan ended.", ["KR"], []),
        ("Georgia's governor signed the bill in Atlanta.", ["US"], []),
        ("Georgia and Armenia reopened a border crossing.", ["AM", "GE"], []),
        # a US immigration raid or a car plant puts Georgia in the US even with no US town named
        ("US immigration agents raided a battery plant in Georgia, detaining South Korean workers.", ["KR", "US"], []),
        ("Georgia and the United States discussed visa rules in Tbilisi.", ["GE", "US"], []),
        # found blind in dev41: a US town that is also a common word is no cue for the US state
        ("Georgia's Central Election Commission said the Georgian Dream party won.", ["GE"], []),
        # found in this session's briefs: Washington the government is no cue for Paris, Texas or Lebanon, Pa.
        ("A ceasefire brokered by Washington and Paris took effect in Lebanon.", ["FR", "LB", "US"], []),
        ("Tornadoes hit Paris, Texas, and Lebanon, Tennessee.", ["US"], []),
        # the Balkans are a region of several countries; Turkmenistan's region is "Balkan Region"
        ("Kosovo is the last of the Western Balkan countries to win visa-free travel.", ["XK"], []),
        ("Gas was found in the Balkan Region of Turkmenistan.", ["TM"], []),
        # found blind in round fourteen: a Honduran candidate is no Brazilian city, Mexico's ruling party no Indian one
        ("Libre's Rixi Moncada faced Nasry Asfura and Salvador Nasralla in Honduras.", ["HN"], []),
        ("Claudia Sheinbaum's Morena party won a supermajority in Congress.", ["MX"], []),
        ("Floods cut roads around Salvador, the capital of Bahia.", ["BR"], []),
        # found blind in round fifteen: the Ohrid agreements' town, the wires' Bamiyan, Tajikistan's Rasht Valley (the
        # bare Rasht is Iran's city), Iran's foreign minister as Reuters spells him (no Palestinian "Abbas")
        ("Belgrade and Pristina agreed in Ohrid on how to implement the deal.", ["MK", "RS", "XK"], []),
        ("The Taliban detained two teachers in Bamiyan.", ["AF"], []),
        ("An earthquake shook the Rasht valley early on Thursday.", ["TJ"], []),
        ("Protesters marched through Rasht on Friday.", ["IR"], []),
        ("Abbas Araqchi met the IAEA chief on Monday.", ["IR"], ["IAEA"]),
        # found blind in round sixteen: a region's name before "regions" (the longer "Zaporizhzhia region" must not
        # hide it), Kherson and the war's towns below the population a city needs alone, the UN's Security Council
        # named bare, Capri
        ("Russian forces shelled the Kherson and Zaporizhzhia regions overnight.", ["RU", "UA"], []),
        ("Drones struck Kherson and Bakhmut on Tuesday.", ["UA"], []),
        (
            "Exports to Kazakhstan rose, raising concerns in Washington about the Central Asian states.",
            ["KZ", "US"],
            [],
        ),
        ("The Security Council lifted the arms embargo on Somalia's government.", ["SO"], ["UN"]),
        ("China vetoed a US-drafted Security Council resolution on North Korea.", ["CN", "KP", "US"], ["UN"]),
        ("Shoigu, secretary of the Security Council of Russia, visited Tehran.", ["IR", "RU"], []),
        ("Israel's National Security Council raised its travel warning for the Netherlands.", ["IL", "NL"], []),
        ("Putin chaired a meeting of the Security Council on Friday.", ["RU"], []),
        ("Zelensky convened the Security Council after strikes on Kyiv.", ["UA"], []),
        ("The Security Council officially endorsed the ceasefire plan for Gaza.", ["PS"], ["UN"]),
        ("Iran's Supreme National Security Council resolution approved talks with the US.", ["IR", "US"], []),
        # found blind in round seventeen: Cornwall's G7 summit, a Russian dissident's surname (Kara is Togo's city), a
        # Lebanese prime minister's first name (Hassan is India's city)
        ("G7 leaders pledged vaccine doses at their Cornwall summit.", ["GB"], ["G7"]),
        ("Russia released Vladimir Kara-Murza in a prisoner exchange at Ankara airport.", ["RU", "TR"], []),
        ("Lebanese Prime Minister Hassan Diab resigned after the Beirut port explosion.", ["LB"], []),
        ("Floods cut off villages around Hassan in Karnataka.", ["IN"], []),
        # found blind in round eighteen: Lebanon's Tripoli, Egypt's summit resort, the UN rights chief's name
        ("Lebanese troops raided a warehouse in Tripoli, north of Beirut.", ["LB"], []),
        ("Clashes shook Tripoli overnight; Sidon was calm.", ["LB"], []),
        ("Militias clashed in Tripoli.", ["LY"], []),
        ("Hannibal Gaddafi, held in Lebanon since 2015, was freed and flew home to Tripoli.", ["LB", "LY"], []),
        ("Leaders gathered in Sharm el-Sheikh for the climate summit.", ["EG"], []),
        ("UN rights chief Volker Türk condemned the executions in Iran.", ["IR"], ["UN"]),
        ("Volker Türk visited Kyiv. Türk said civilians must be spared.", ["UA"], []),
        # found blind in round twenty: a tennis venue, looted bronzes, a prime minister's surname, a surname city
        ("Wimbledon barred Russian players from the championships.", ["GB", "RU"], []),
        ("Berlin returned 20 Benin Bronzes to Abuja.", ["DE", "NG"], []),
        ("Luis Montenegro won the vote. Montenegro told supporters he would govern.", ["PT"], []),
        ("Montenegro and Serbia agreed to reopen a border crossing.", ["ME", "RS"], []),
        (
            "Prime Minister Luís Montenegro of Portugal visited Podgorica to back Montenegro's EU bid.",
            ["ME", "PT"],
            ["EU"],
        ),
        ("Colombian President Juan Manuel Santos signed the accord.", ["CO"], []),
        ("Santos, Brazil's biggest port, shipped record soy exports.", ["BR"], []),
        # found blind in round twenty-one: a Malaysian capital, a Saudi summit city, a Russian minister's first name
        ("Thailand and Cambodia agreed to a ceasefire at talks in Putrajaya.", ["KH", "MY", "TH"], []),
        ("Gulf leaders signed the AlUla declaration ending the blockade of Qatar.", ["QA", "SA"], []),
        ("Deputy Defence Minister Yunus-Bek Yevkurov of Russia visited Benghazi.", ["LY", "RU"], []),
        ("Taiwan was kept out of the World Health Assembly again.", ["TW"], ["WHO"]),
        ("A Turk was detained in Athens.", ["GR", "TR"], []),
        # found blind in round twenty-two: a UN agency named with "UN", bodies of space, the seabed and whaling, a
        # research station (Concordia is a city of Argentina), a continent no state holds, a surname city (Florida's)
        ("The UN Food and Agriculture Organization appealed for aid for Kenya.", ["KE"], ["FAO"]),
        ("The European Space Agency (ESA) suspended its work with Russia's Roscosmos.", ["RU"], ["ESA"]),
        ("Nauru pressed the International Seabed Authority to allow mining.", ["NR"], ["ISA"]),
        ("Japan left the International Whaling Commission; the IWC regretted it.", ["JP"], ["IWC"]),
        ("BIMSTEC leaders met in Bangkok.", ["TH"], ["BIMSTEC"]),
        ("France evacuated an Italian researcher from the Concordia station.", ["FR", "IT"], []),
        ("Argentina rejected Chile's claim to waters near Antarctica.", ["AR", "CL"], []),
        ("Canadian shipbuilder Davie bought Finland's Helsinki Shipyard.", ["CA", "FI"], []),
        ("Police in Davie, Florida, said.", ["US"], []),
        # a review's cases: an organisation's code is a name only where its aliases list it
        ("Reeves cut the cash ISA allowance, angering Britain's savers.", ["GB"], []),
        ("Gray wolves lost protection under the ESA, the US Fish and Wildlife Service said.", ["US"], []),
        ("IWC Schaffhausen raised its prices in China.", ["CN"], []),
        ("RUSSIA SAYS IT CAN HIT ANY TARGET IN UKRAINE", ["RU", "UA"], []),
        ("PIF leaders meeting in Nuku'alofa backed a policing plan funded by Australia.", ["AU", "TO"], ["PIF"]),
        # an English brief of names ("von der Leyen") the language model placed in French
        (
            "Spanish Prime Minister Pedro Sanchez and European Commission President Ursula von der Leyen pledged 210 "
            "million euros to Mauritania during a visit to Nouakchott, aiming to curb migrant departures towards "
            "Spain's Canary Islands.",
            ["ES", "MR"],
            ["EU"],
        ),
        # round nineteen: Ecuador's former president, whose surname alone is a city of Argentina
        ("President Lenín Moreno moved his government to Guayaquil.", ["EC"], []),
        # a combining form counts with its hyphen and a capital after it, not as the surname it also is
        ("Belgrade rejected a Franco-German plan to normalise relations with Kosovo.", ["DE", "FR", "RS", "XK"], []),
        ("The Russo-Ukrainian war entered its fourth year.", ["RU", "UA"], []),
        ("Spain exhumed the remains of Francisco Franco from the Valley of the Fallen.", ["ES"], []),
        ("Historians studied Franco-era archives in Madrid.", ["ES"], []),
        ("Actress Rene Russo visited Toronto.", ["CA"], []),
        # the shorter phrase keeps the longer one's reading: Donetsk is also a small Russian town
        ("Russian troops hold parts of the Luhansk and Donetsk regions.", ["RU", "UA"], []),
        ("Tapestry abandoned its deal to buy Capri Holdings.", [], []),
        ("Milei's La Libertad Avanza won 41% of the vote in the midterms.", ["AR"], []),
        ("G7 foreign ministers meeting in Capri criticised Beijing.", ["CN", "IT"], ["G7"]),
        # "the Sahel" is a region of several countries; Burkina Faso's region is "Sahel Region"
        ("ECOWAS pledged to rebuild ties with the breakaway Sahel juntas.", [], ["ECOWAS"]),
        ("Burkina Faso's army said it retook a town in the Sahel Region.", ["BF"], []),
        # the Blue Nile is a river unless the item speaks of Sudan's Blue Nile state
        ("Ethiopia inaugurated its dam on the Blue Nile.", ["ET"], []),
        ("Clashes erupted in Blue Nile state, the SPLM-N said.", ["SD"], []),
        # found blind in dev7: a river, a family name, a non-member, a former president, a venue, a soft sign
        ("Floods hit Somalia, where the Juba and Shabelle rivers burst their banks.", ["SO"], []),
        ("South Sudan's president spoke in Juba.", ["SS"], []),
        ("Kuwait's emir, Sheikh Meshal al-Ahmad al-Sabah, dissolved parliament.", ["KW"], []),
        ("Malaysia sent troops to Sabah.", ["MY"], []),
        ("Iraqi Prime Minister Mohammed Shia al-Sudani met Erdogan.", ["IQ", "TR"], []),
        ("Biden named Kenya a major non-NATO ally.", ["KE", "US"], []),
        ("President Mokgweetsi Masisi conceded defeat.", ["BW"], []),
        ("Fighting spread across Masisi territory in North Kivu.", ["CD"], []),
        ("The United States and China agreed in Geneva to cut tariffs.", ["CH", "CN", "US"], []),
        ("Ukrainian drones hit the Ryazan oil refinery.", ["RU", "UA"], []),
        # a hospital's name
        ("The RSF killed patients at El Fasher's Saudi Hospital.", ["SD"], []),
        # a river shared by several countries places none of them
        ("Netanyahu said there would be no Palestinian state west of the Jordan River.", ["IL", "PS"], []),
        ("Türkiye and Czechia signed a deal.", ["CZ", "TR"], []),
        ("NATO and the UN met in Kiev.", ["UA"], ["NATO", "UN"]),
        ("Hungarian and Russian-Belarusian drills.", ["BY", "HU", "RU"], []),
        # a Nigerian state, unless the item speaks of Niger's state media
        ("Bandits kidnapped 40 villagers in Niger State, Nigerian police said.", ["NG"], []),
        ("Floods cut the main road through Niger state.", ["NG"], []),
        ("Niger state television said the junta had arrested a minister in Niamey.", ["NE"], []),
        # bare "Congo" is the Democratic Republic, as the wire services write it, unless the item points at the
        # Republic of the Congo
        ("Congo's president Denis Sassou Nguesso opened a port in Pointe-Noire.", ["CG"], []),
        ("Zambia and Congo signed an agreement to build electric-vehicle batteries from cobalt.", ["CD", "ZM"], []),
        ("Congolese officials in Brazzaville denied the report.", ["CG"], []),
        ("Rwanda and the DRC signed a framework for peace in eastern Congo.", ["CD", "RW"], []),
        ("Congolese troops retook a town in North Kivu from the rebels.", ["CD"], []),
        (
            "The Democratic Republic of Congo and Rwanda signed a deal to end fighting in eastern Congo.",
            ["CD", "RW"],
            [],
        ),
        ("Republic of Congo's oil minister said Congo would raise crude output.", ["CG"], []),
        ("Congolese Prime Minister Anatole Collinet Makosso resigned with his government.", ["CG"], []),
        ("Leaders meeting in Brazzaville discussed the fighting in eastern Congo.", ["CD", "CG"], []),
        ("The Congo Basin rainforest is losing trees faster than ever.", [], []),
        # the river is no country; Namibia's Zambezi region is
        ("Zambia and Zimbabwe agreed to build a hydropower dam on the Zambezi.", ["ZM", "ZW"], []),
        ("Floods hit Namibia's Zambezi region.", ["NA"], []),
        # a city whose name the English word list also holds as a rare word counts alone (data/strong_names.txt)
        ("Protests erupted in Shanghai on Monday.", ["CN"], []),
        ("Police in Leeds arrested two men.", ["GB"], []),
        ("Israeli strikes hit Tyre on Monday.", ["IL", "LB"], []),
        ("Gunmen killed 20 people in villages near Jos.", ["NG"], []),
        ("Jos Buttler scored a century at Lord's.", [], []),
        # ... but not one that news gives to a person or a thing as well
        ("Shares on Bursa Malaysia fell 1.2% on Monday.", ["MY"], []),
        ("Danish director Lars von Trier said he has Parkinson's disease.", ["DK"], []),
        ("Samara Weaving stars in the horror film.", [], []),
        ("Drones struck an oil refinery in Samara overnight.", ["RU"], []),
        ("The UN Office on Drugs and Crime said opium cultivation fell in Afghanistan.", ["AF"], ["UNODC"]),
        ("The Financial Action Task Force added Myanmar to its blacklist.", ["MM"], ["FATF"]),
        ("Mexico and the US agreed to replace the Merida Initiative.", ["MX", "US"], []),
        # round twenty-four's misses: bodies without a row, a valley three countries share, a palace, a surname
        ("CERN suspended Russia's observer status.", ["RU"], ["CERN"]),
        ("The CITES convention told governments to suspend wildlife trade with Mexico.", ["MX"], ["CITES"]),
        ("Tourist arrivals recovered, the UN World Tourism Organization (UNWTO) said.", [], ["UNWTO"]),
        ("China and the US pledged to cut methane at the UN climate talks in Glasgow.", ["CN", "GB", "US"], ["UN"]),
        ("The UN Framework Convention on Climate Change published the pledges.", [], ["UNFCCC"]),
        ("Kyrgyzstan and Tajikistan settled their border in the Fergana Valley.", ["KG", "TJ"], []),
        ("Protesters marched in Fergana, in eastern Uzbekistan.", ["UZ"], []),
        ("Maduro received the U.S. envoy at the Miraflores palace in Caracas.", ["US", "VE"], []),
        ("Nicaragua withdrew its approval of Hugo Rodriguez as U.S. ambassador.", ["NI", "US"], []),
        ("China sanctioned British academic Jo Smith Finley of Newcastle University.", ["CN", "GB"], []),
        # Western Sahara and its towns count for Morocco, which administers them
        ("Polisario fighters shelled a post near Smara in Western Sahara.", ["MA"], []),
        ("Mauritania and Morocco discussed trade through Western Sahara.", ["MA", "MR"], []),
        # a pipeline, a district and a surname that GeoNames also knows as places elsewhere
        ("Danish and Swedish officials reported leaks on the Nord Stream pipelines.", ["DK", "SE"], []),
        ("Riots torched parts of Honiara's Chinatown in Solomon Islands.", ["SB"], []),
        ("John Bolton said the sanctions would cost Caracas $11 billion.", ["US", "VE"], []),
        # Santander is the Spanish city unless the item is in Colombia; Santa Cruz alone is too many places
        ("Floods hit Santander in northern Spain.", ["ES"], []),
        ("Aid trucks were set alight near Cucuta, in Colombia's Norte de Santander.", ["CO"], []),
        ("Protesters in Santa Cruz accused Bolivia's electoral court of fraud.", ["BO"], []),
        ("Surfers gathered in Santa Cruz.", [], []),
        ("Guyana and Venezuela met in St Vincent over the Essequibo.", ["GY", "VC", "VE"], []),
    ],
)
def test_hard_cases(text, countries, organisations):
    result = tag(text)
    assert list(result.countries) == countries
    assert list(result.organisations) == organisations


# Written for these tests after reading the public corpora of US and Canadian local news, where a town named after a
# capital, a dateline's state and a person's surname made most of the wrong countries; and the world news that the
# rules must leave alone, many of them from a review of the rules.
@pytest.mark.parametrize(
    ("text", "countries"),
    [
        # a city written with a dateline's abbreviation is the one there, whatever the city
        ("Sheriff's deputies arrested a man in Athens, Ga., on Monday.", ["US"]),
        ("EDMONTON, Ky. -- One man is dead after a crash on Route 163.", ["US"]),
        ("Victoria, B.C., council met.", ["CA"]),
        # ... and wherever the text names it again, unless a mention is written with its own country
        ("BELGRADE, Minn. -- A woman was found dead after a fire at a house in Belgrade.", ["US"]),
        ("Paris, Texas and Paris, France are different.", ["FR", "US"]),
        # a state's or a province's full name places a city that has a namesake there
        ("London, Ontario, city council voted on the budget.", ["CA"]),
        ("Tornadoes hit Moscow, Idaho, overnight.", ["US"]),
        ("Police in Athens, Georgia, said a University of Georgia student was hurt.", ["US"]),
        # ... and "Georgia" is the state there only where it is the state by its own cues
        ("TBILISI, Georgia -- Police arrested opposition activists.", ["GE"]),
        ("Speaking in Rome, Georgia's Prime Minister Irakli Kobakhidze met Pope Leo.", ["GE", "IT", "VA"]),
        ("Officials in Moscow, Washington and Beijing reacted.", ["CN", "RU", "US"]),
        # ... not the first places of a list, nor a country's city before the country's own name
        ("The bank has offices in London, New York and Hong Kong.", ["CN", "GB", "US"]),
        ("Flights from Dubai, Texas and Florida were cancelled.", ["AE", "US"]),
        ("Officials from Moscow, Georgia, Azerbaijan and Armenia met.", ["AM", "AZ", "GE", "RU"]),
        ("The pope will travel to Rome, Georgia and Armenia.", ["AM", "GE", "IT"]),
        ("Taoyuan, Taiwan, airport closed.", ["TW"]),
        ("Paris, France, hosted the summit with leaders from Kenya.", ["FR", "KE"]),
        ("Protests spread to Kyiv, Kharkiv and Lviv.", ["UA"]),
        ("Stocks fell in Tokyo, New York and Frankfurt.", ["DE", "JP", "US"]),
        # a capital's namesake, in a text that names a county and a state of its country and nothing of the capital's
        ("The Athens Police Department and the Henderson County sheriff said Texas troopers helped.", ["US"]),
        ("Texas and Florida officials flew to Athens for talks.", ["GR", "US"]),
        ("Greek police in Athens said tourists from Henderson County, Texas, were safe.", ["GR", "US"]),
        # a place's name after a given name or a title is a surname, where the place's name is a surname too
        ("Business manager Jim Kennedy said the calendar would change.", []),
        ("Lin-Manuel Miranda starred in the show.", []),
        ("House Judiciary Committee chairman Jim Jordan met officials in Berlin.", ["DE"]),
        ("Flights left John F. Kennedy airport for Moscow.", ["RU"]),
        ("Chiefland Police Chief Robert Douglas said the road was closed.", []),
        ("Commissioners Stanley Thomas and John Pethel agreed.", []),
        # ... not after a word that begins a sentence or a headline, a country's name or a capital's
        ("Will Russia and Ukraine agree to a truce?", ["RU", "UA"]),
        ("In June Russia launched a new offensive.", ["RU"]),
        ("In April China imposed new export controls.", ["CN"]),
        ("On Sunday Israel struck targets in Gaza.", ["IL", "PS"]),
        ("Celebrations Mark China's National Day.", ["CN"]),
        ("Prince Harry London Visit Planned", ["GB"]),
        ("Prince Harry England Return Confirmed", ["GB"]),
        ("Hurricane Ian Florida Death Toll Rises", ["US"]),
        ("Israel Katz visited Washington.", ["IL", "US"]),
        ("Dem. Rep. Congo and Rwanda signed a deal.", ["CD", "RW"]),
        # a country's name that is also a first name is a country before another country's name
        ("Israel Jordan and Egypt met.", ["EG", "IL", "JO"]),
        ("India China Border Talks Resume", ["CN", "IN"]),
        ("Chad Sudan Border Closed", ["SD", "TD"]),
        # a large city with a smaller namesake in a country the text names is still the large one
        ("Amazon opened offices in Seattle and Vancouver.", ["CA", "US"]),
        ("Delta added daily flights from Atlanta to Manchester.", ["GB", "US"]),
    ],
)
def test_local_news_places_and_people(text, countries):
    assert list(tag(text).countries) == countries


def test_topics_and_tone_follow_the_lexicon():
    result = tag("The EU imposed new sanctions and an asset freeze on Belarusian officials after the crackdown.")
    assert "sanctions" in result.topics
    assert result.tone == "conflict"
    coop = tag("Kazakhstan and Uzbekistan signed a trade agreement to boost gas exports.")
    assert "trade_energy" in coop.topics
    assert coop.tone == "cooperation"
    assert 1 <= len(result.topics) <= 3


def test_relations_are_a_star_from_the_lead_actor():
    result = tag("Poland will close its border with Belarus due to Russian exercises.")
    assert result.lead_actor == "PL"
    assert set(result.relations()) == {("PL", "BY"), ("PL", "RU")}


@pytest.mark.parametrize(
    ("text", "countries", "lead"),
    [
        ("KYIV — A Russian missile hit a children's hospital in Ukraine's capital.", ["RU", "UA"], "RU"),
        ("BEIRUT (AP) — Israel struck a building in the southern suburbs.", ["IL", "LB"], "IL"),
        ("WASHINGTON, Nov 3 (Reuters) - China said it would buy more American soybeans.", ["CN", "US"], "CN"),
        ("KUALA LUMPUR — Cambodian and Thai leaders signed a ceasefire declaration.", ["KH", "MY", "TH"], "KH"),
        # a dateline with no other actor still leads
        ("MOSCOW — Talks on the ceasefire resumed on Monday.", ["RU"], "RU"),
        # not a dateline: a sentence that starts with an acronym
        ("US and Canadian officials met in Ottawa.", ["CA", "US"], "US"),
    ],
)
def test_the_dateline_city_is_where_the_news_was_filed_not_who_acts(text, countries, lead):
    result = tag(text)
    assert list(result.countries) == countries
    assert result.lead_actor == lead


@pytest.mark.parametrize(
    ("text", "lead"),
    [
        # a preposition governs the whole list after it: Britain is not the subject
        (
            "Drones were fired at Israel by Iran, most intercepted with help from the United States, Britain and Jordan.",
            "IR",
        ),
        ("Offers of aid from Spain, Britain and Qatar were accepted by Morocco after the earthquake.", "MA"),
        # no actor is the subject: the agent of the passive acts
        ("Visa-free entry for Poles, Lithuanians and Latvians was extended by Belarus.", "BY"),
        ("Visa services for Canadians were suspended by India's missions in Canada.", "IN"),
        # a comma after an opening place is not a list, and a subject before a passive still leads
        ("In Islamabad, Iran and Pakistan agreed to return their ambassadors.", "IR"),
        ("Meeting in Minsk, Lukashenko and Putin signed a security treaty.", "BY"),
        ("A Kosovo police officer was killed in an ambush by Serb gunmen.", "XK"),
        # a sentence whose main verb is passive: its agent acts, whatever actors its subject names ...
        (
            "An unmanned U.S. Navy surveillance drone was shot down over the Strait of Hormuz by Iran's Revolutionary "
            "Guards, who said it had violated Iranian airspace.",
            "IR",
        ),
        ("Entry bans on 500 Americans were announced on Friday by Russia's foreign ministry.", "RU"),
        (
            "Held in China since 2019, Australian writer Yang Hengjun was sentenced on Monday by a court in Beijing.",
            "CN",
        ),
        # ... but not a passive inside a clause, after an active verb, or an armed group named by a demonym
        ("Russia said a drone was shot down by Ukraine's air defences.", "RU"),
        ("Iran launched 300 drones at Israel, though almost all were intercepted by Israeli air defences.", "IR"),
        ("A Lebanese soldier was wounded on Sunday by Syrian gunmen near the border.", "LB"),
        ("A Palestinian man was shot dead by an Israeli settler near Ramallah.", "PS"),
        ("Russia struck Ukraine with 120 drones overnight and 90 were shot down by Ukrainian air defences.", "RU"),
        ("Moscow insists the Nord Stream pipelines were blown up by the United States.", "RU"),
        ("Britain froze the assets of three Russian banks, saying they were used by the Kremlin.", "GB"),
        ("Russia's foreign ministry insisted the dam was blown up by Ukrainian forces.", "RU"),
        ("Russia pounds Kyiv with drones\nDozens of drones were shot down by Ukrainian air defences.", "RU"),
        # ... nor an actor named after a preposition or a comma, or a feeling's cause
        ("A British-flagged ship was hijacked by pirates off Somalia.", "GB"),
        ("A Polish farmer was killed by a stray missile, Ukrainian officials said.", "PL"),
        ("Poland is deeply alarmed by Russia's deployment of nuclear weapons in Belarus.", "PL"),
        # "by" in a clause that is not passive names no agent
        ("More than 11 million people have been displaced by the war in Sudan, the UN said.", "UN"),
        # people or a body placed by the preposition that opens the sentence act there: the place is the actor
        ("A court in Vilnius sentenced a Russian citizen to seven years in prison.", "LT"),
        ("Judges at the ICC issued an arrest warrant for Vladimir Putin over deportations from Ukraine.", "ICC"),
        ("Authorities in the United Arab Emirates extradited an Italian drug lord to Rome.", "AE"),
        ("Voters in Sri Lanka elect a president on Saturday, with India and China watching.", "LK"),
        # an opening place that sets the scene is still no actor
        ("In the port of Odesa, Russian missiles struck a residential district overnight.", "RU"),
        ("After talks in Ankara, Iraq agreed to reopen the pipeline to Turkey.", "IQ"),
        ("After floods in Pakistan's Sindh province displaced thousands, China pledged emergency aid.", "CN"),
        ("About 300 migrants tried to swim into Spain's Ceuta enclave, and Moroccan forces turned them back.", "ES"),
        ("On Monday, a court in Vilnius sentenced a Russian citizen to seven years.", "LT"),
        ("Following U.S. sanctions on Rosneft, India cut its imports of Russian oil.", "IN"),
        ("Houthi forces in Yemen fired a missile at a tanker, the U.S. military said.", "YE"),
        # ... but not when they report what another did, nor when the opening phrase names its own subject
        ("Officials in Kyiv said Russia launched 100 drones overnight.", "RU"),
        ("On Monday Russia struck Kyiv with drones, Ukraine's air force said.", "RU"),
        ("In Kyiv Zelensky met Starmer, who pledged more aid from Britain.", "UA"),
        # an opening clause of time sets the scene, whatever it names: the subject follows its comma
        ("Two years after Russia invaded Ukraine, the EU adopted a thirteenth sanctions package.", "EU"),
        ("When Iran seized the tanker, Britain summoned the Iranian ambassador.", "GB"),
        # ... but not when the comma ends only a report of who said it, a list, or "once again"
        ("After midnight Russia struck Kyiv with drones, Ukraine's air force said.", "RU"),
        ("Since 2014 Russia has occupied Crimea, Ukraine's foreign ministry said.", "RU"),
        ("Once again Russia vetoed the resolution, the US said.", "RU"),
        ("When Russia, China and Iran met in Tehran, they pledged cooperation.", "RU"),
        ("Days after Russia invaded Ukraine, Germany announced a special defence fund.", "DE"),
        # an opening quotation is what was said: the speaker named after it acts
        ("'Minsk is playing with fire,' Polish Foreign Minister Radoslaw Sikorski said of the migrants.", "PL"),
        ('"Russia will pay for this," President Volodymyr Zelensky of Ukraine said after a strike on Odesa.', "UA"),
        ("'Kyiv is not alone,' the EU's foreign policy chief said after Russian missiles struck Ukraine.", "EU"),
        # a term in quotation marks is no quotation
        (
            '"Special military operation" in Ukraine enters a third year as Russia\'s economy strains, analysts say.',
            "RU",
        ),
        # a source cited first leads when what it reports opens with its own people, not with another actor
        ("According to Pakistan's army, its troops shot down an Indian drone over Kashmir.", "PK"),
        ("According to the IAEA, the agency's inspectors were denied access to Iran's Fordow site.", "IAEA"),
        ("According to Kenyan police, officers detained 12 Ethiopian migrants near Moyale.", "KE"),
        ("According to state media, North Korea fired two ballistic missiles into the sea.", "KP"),
        ("According to Ukraine's air force, overnight Russia launched 100 drones.", "RU"),
        ("According to the UN, more than 2 million Sudanese have fled to Chad.", "SD"),
        ("According to Taiwan's defence ministry, 45 Chinese aircraft crossed the median line.", "CN"),
        ("According to the Canadian embassy, a court in the Chinese city of Dandong jailed a Canadian.", "CN"),
    ],
)
def test_the_lead_actor_of_lists_and_passive_sentences(text, lead):
    assert tag(text).lead_actor == lead


def test_first_sentence_ignores_abbreviations():
    text = "The U.S. envoy met Gov. Smith in Kyiv. Russia objected."
    assert text[: first_sentence_end(text)] == "The U.S. envoy met Gov. Smith in Kyiv."


def test_tag_output_record_shape():
    record = tag("Belarus thanked Russia for the delivery of the gas.").to_json()
    assert set(record) == {
        "id",
        "date",
        "countries",
        "organisations",
        "topics",
        "tone",
        "lead_actor",
        "evidence",
        "confidence",
        "lang",
    }
    assert record["lang"] == "en"
    assert record["evidence"][0] == {"actor": "BY", "text": "Belarus", "start": 0, "end": 7, "kind": "name"}
    # a probability for the tone and for each topic given, in [0, 1]
    assert set(record["confidence"]) == {"tone", "topics"}
    assert set(record["confidence"]["topics"]) == set(record["topics"])
    assert all(0.0 <= p <= 1.0 for p in [record["confidence"]["tone"], *record["confidence"]["topics"].values()])


@pytest.mark.parametrize(
    ("text", "countries"),
    [
        ("Man of the year: the mayor of a small town.", []),  # Man, Côte d'Ivoire, is a word first
        ("Clashes were reported in Man, western Côte d'Ivoire.", ["CI"]),  # ... and a town when its country is named
        ("Store shelves were empty.", []),  # 'Støre' folds to 'Store', but only the accented name is the leader
        ("Støre met Mette Frederiksen in Oslo.", ["DK", "NO"]),
        ("Flooding hit Borno and Kano states.", ["NG"]),  # first-level regions from ISO 3166-2
        ("Fighting spread across Tigray and Amhara.", ["ET"]),
        ("Sheriffs in Fulton County and DeKalb County met.", ["US"]),  # US counties
        ("Los Angeles police made arrests.", ["US"]),  # not Los Ángeles, Chile
        ("Protests in Rivers and Lakes: a nature column.", []),  # regions named by plural words need context
        ("Iceland and Norway signed a fisheries deal.", ["IS", "NO"]),
        ("A bridge to the Island was closed.", []),
    ],
)
def test_common_words_regions_and_exact_spellings(text, countries):
    assert list(tag(text).countries) == countries


def test_a_tilde_marks_a_word_that_takes_its_inflections():
    assert set(inflections("block~")) == {"block", "blocks", "blocked", "blocking"}
    assert {"deny", "denies", "denied", "denying"} <= set(inflections("deny~"))
    assert {"cuts off", "cutting off"} <= set(inflections("cut~ off"))
    assert {"seizes", "seized", "seizing"} <= set(inflections("seize~"))


def test_inflected_rows_load_and_a_written_form_keeps_its_own_weight(tmp_path):
    path = tmp_path / "lexicon.csv"
    path.write_text(
        "pattern,category,label,weight,note\n"
        "block~,tone,conflict,1.0,all forms\n"
        "blocked,tone,conflict,2.0,this form has its own weight\n",
        encoding="utf-8",
    )
    lexicon = Lexicon.from_file(path)
    weights = {text: [c.weight for s, e, c in lexicon.hits(text)] for text in ("blocking", "blocked", "blocks")}
    assert weights == {"blocking": [1.0], "blocked": [2.0], "blocks": [1.0]}
    path.write_text("pattern,category,label,weight,note\nblock~*,tone,conflict,1.0,\n", encoding="utf-8")
    with pytest.raises(DataFileError):
        Lexicon.from_file(path)


def test_negation_and_context_cue_labels_are_checked(tmp_path):
    path = tmp_path / "lexicon.csv"
    for good in (
        "suspend~,negation,reversal,1.0,",
        "would,negation,hedge,1.0,",
        "after,context,-,1.0,",
        "earthquake,tone,neutral,2.0,",
    ):
        path.write_text("pattern,category,label,weight,note\n" + good + "\n", encoding="utf-8")
        assert Lexicon.from_file(path).hits("x " + good.split(",")[0].rstrip("~") + " y")
    for bad in ("not,negation,maybe,1.0,", "after,context,cooperation,1.0,"):
        path.write_text("pattern,category,label,weight,note\n" + bad + "\n", encoding="utf-8")
        with pytest.raises(DataFileError):
            Lexicon.from_file(path)


@pytest.mark.parametrize(
    ("text", "tone"),
    [
        # a reversal cue undoes the cooperation cue after it
        ("Thailand suspended its peace deal with Cambodia.", "conflict"),
        # an absent event is no relation: neither the buildup nor the troop movement happened
        ("Latvia's army said it had seen no sign of a military buildup on the Russian side of the border.", "neutral"),
        ("Kyrgyzstan denied any troop movement toward the Tajik frontier, its border service said.", "neutral"),
        # denying one's part in an event that did happen is still the clash
        ("Moscow denied any involvement in the sabotage of the Estonian undersea cable.", "conflict"),
        # the relation is in the main clause; the "after ..." clause is the background
        (
            "Algeria recalled its ambassador from Madrid after Spain reaffirmed its support for Morocco's autonomy plan.",
            "conflict",
        ),
        # a capitalised tone word inside a sentence is part of a name
        ("Sudan's Rapid Support Forces shelled El Fasher.", "conflict"),
        # a disaster's toll and an economic decision are not relations between actors
        ("A magnitude 6.9 earthquake struck off Cebu in the central Philippines, killing 72 people.", "neutral"),
        ("Indonesia's central bank cut its benchmark rate to support growth.", "neutral"),
        # one actor alone: nobody to cooperate with
        ("Japan's parliament voted to support the new cabinet.", "neutral"),
        # a denial does not undo the clash that is the news (the seed reads it as conflict)
        (
            "Lukashenka claims that Belarus has nothing to do with drones violating the airspace of Poland and Lithuania.",
            "conflict",
        ),
        # a negated agreement is the conflict
        ("The Kremlin said it had not agreed to any ceasefire with Ukraine.", "conflict"),
        # a hedged cue is a plan, not yet a relation
        (
            "Austria's chancellor said Vienna would push for tougher asylum rules and resume deportations to Syria.",
            "neutral",
        ),
    ],
)
def test_tone_mechanisms(text, tone):
    assert tag(text).tone == tone


def test_topics_diplomacy_frame_inflections_and_negative_weights():
    # diplomacy is kept as the frame of a stronger topic
    assert set(tag("Saudi Arabia and Pakistan signed a mutual defence pact in Riyadh.").topics) == {
        "military",
        "diplomacy",
    }
    # "blocking exports" is an inflected sanctions cue, and a conflict one
    blocking = tag("Beijing responded by blocking exports of Dutch chips.")
    assert "sanctions" in blocking.topics and blocking.tone == "conflict"
    # "tear gas" takes back the weight that "gas" gave to trade_energy
    assert tag("Serbian police dispersed protesters in Belgrade with tear gas.").topics == ("domestic_politics",)


def test_an_absent_event_counts_a_share_of_its_topic():
    # the item is still about the military, but an absent buildup cannot carry a topic of its own beside talks
    assert (
        tag("Latvia's army said it had seen no sign of a military buildup on the Russian side of the border.").topics[0]
        == "military"
    )
    talks = tag(
        "Kyrgyzstan and Tajikistan held border talks in Batken, and both denied any troop movement toward the frontier."
    )
    assert "military" not in talks.topics
    # "sign" inside "no sign of" is not a signing
    assert "diplomacy" not in tag("Finland's border guard found no sign of a Russian troop buildup.").topics


@pytest.mark.parametrize(
    "text",
    [
        "The United States and China agreed to a 90-day tariff truce after talks in Geneva.",
        "Washington and Beijing extended their trade truce for another year.",
        "India and the United States moved to end their tariff war with a ceasefire on steel duties.",
    ],
)
def test_a_truce_in_a_trade_dispute_is_not_military(text):
    result = tag(text)
    assert "military" not in result.topics and "trade_energy" in result.topics


def test_a_toll_is_humanitarian_only_beside_civilians_aid_or_a_disaster():
    assert "humanitarian" not in tag("Israeli jets struck a base in southern Syria, killing four soldiers.").topics
    assert "humanitarian" in tag("Israeli jets struck a school in Gaza, killing 20 civilians.").topics


def test_a_decisive_cue_earns_its_topic_beside_a_stronger_one():
    text = (
        "Latvia closed two border crossings and its airspace near Daugavpils after drones and smuggling balloons "
        "crossed from Belarus. Riga said it would push for an EU embargo on Belarusian potash."
    )
    # a rule of the lexicon's own verdict (Tagger(learned=False)); the learned layer reads these scores and,
    # trained on all eight sets, weighs this threatened embargo as not enough for the sanctions topic
    from dataclasses import replace

    from mapdata.tagging import PARAMS, Lexicon, default_tagger

    lexicon = default_tagger().lexicon
    on = Lexicon.decide(text, lexicon.hits(text), 3)[0]
    assert on[0] == "border" and "sanctions" in on
    # without the rule, the border cues outweigh the embargo (a threat in a second sentence) and it is dropped
    off = Lexicon.decide(text, lexicon.hits(text), 3, replace(PARAMS, decisive_weight=float("inf")))[0]
    assert "sanctions" not in off


def test_an_article_joins_its_lead_actor_only_to_the_actors_of_its_sentences_and_the_opening_ones():
    from mapdata.models import Item

    tagger = default_tagger()
    article = tagger.tag(
        Item.create(
            "Russia launched drones at Ukraine overnight. Officials in Kyiv said Poland scrambled jets. "
            "Germany and France met in Berlin on an unrelated budget. Analysts compared the week with Syria. "
            "Russia also warned Finland.",
            date(2025, 1, 1),
        )
    )
    assert article.lead_key == "RU"
    assert set(article.relations()) == {("RU", "UA"), ("RU", "PL"), ("RU", "FI")}  # opening sentences, and its own
    assert set(article.mentioned) == {"DE", "FR", "SY"}
    assert {"DE", "FR", "SY"} <= set(article.countries)  # still tags of the item
    brief = tagger.tag(
        Item.create(
            "Russia launched drones at Ukraine. Germany and France condemned it. Syria said nothing.", date(2025, 1, 1)
        )
    )
    assert brief.related is None and brief.mentioned == ()
    assert {b for _, b in brief.relations()} == {"UA", "DE", "FR", "SY"}  # a brief relates its lead to every actor


def test_a_correction_keeps_an_articles_relations_and_adds_what_the_analyst_added():
    from mapdata.corrections import apply
    from mapdata.models import Correction, Item

    article = default_tagger().tag(
        Item.create(
            "Russia launched drones at Ukraine overnight. Officials in Kyiv said Poland scrambled jets. "
            "Germany and France met in Berlin on a budget. Analysts compared the week with Syria. "
            "Russia also warned Finland.",
            date(2025, 1, 1),
        )
    )
    fixed = apply(
        article,
        [Correction(article.item.id, "actor", "LT", "add"), Correction(article.item.id, "actor", "PL", "remove")],
    )
    assert {b for _, b in fixed.relations()} == {"UA", "FI", "LT"}
    assert set(fixed.mentioned) == {"DE", "FR", "SY"}
