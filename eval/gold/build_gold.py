#!/usr/bin/env python3
"""Build seeds.jsonl and licenses.jsonl from the hand-written question list.

Evidence quotes are never retyped: each is given as a (start, end) pair of
anchors which are located in the corpus file with a tolerant pattern (any
whitespace run, incl. NBSP / newlines / indentation, matches any whitespace
run; ' and " match their curly forms), and the quote is the exact slice of
the file text from the start of the first anchor to the end of the second.
Run:  python3 build_gold.py   (then python3 check_gold.py ...)
"""

import json
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = "/work/main/seeds"
LICS = "/work/main/eval/corpora/licenses"

F = {
    0: "000_af464d22616ba6fd.txt",
    1: "001_5ea433483fe11491.txt",
    2: "002_fd892696122e5551.txt",
    3: "003_2b9715bf3b4d29fd.txt",
    4: "004_637ea51863777674.txt",
    "apache": "Apache-2.0.txt",
    "mpl": "MPL-2.0.txt",
    "cc0": "CC0-1.0.txt",
    "art": "Artistic.txt",
}
_cache = {}


def text_of(key):
    name = F[key]
    d = SEEDS if isinstance(key, int) else LICS
    if name not in _cache:
        with open(os.path.join(d, name), encoding="utf-8", newline="") as fh:
            _cache[name] = fh.read()
    return _cache[name]


def pat(s):
    out = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch.isspace():
            while i < len(s) and s[i].isspace():
                i += 1
            # whitespace run; may cross the '*' box borders of MPL s.6/7
            out.append(r"(?:[\s\u00a0]|\*(?=[\s]))+")
            continue
        if ch == "'":
            out.append("['\u2019\u2018]")
        elif ch == '"':
            out.append('["\u201c\u201d]')
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def quote(key, start, end=None, allow_newline=False):
    t = text_of(key)
    ms = list(re.finditer(pat(start), t))
    if len(ms) != 1:
        sys.exit(f"start anchor found {len(ms)}x in {F[key]}: {start!r}")
    s = ms[0].start()
    if end is None:
        e = ms[0].end()
    else:
        m2 = re.compile(pat(end)).search(t, ms[0].start())
        if not m2:
            sys.exit(f"end anchor not found in {F[key]}: {end!r}")
        e = m2.end()
    q = t[s:e]
    if isinstance(key, int) and "\n" in q and not allow_newline:
        sys.exit(f"seed quote crosses a line in {F[key]}: {q[:80]!r}")
    # sentence-boundary sanity (warn only)
    before = t[max(0, s - 2) : s]
    if (
        s
        and not (before.endswith("\n") or before in (". ", "? ", "! ", ": ", ".\u00a0", "\u201d "))
        and isinstance(key, int)
    ):
        print(
            f"  note: quote does not start a sentence: {F[key]} {before!r}+{q[:40]!r}",
            file=sys.stderr,
        )
    if not re.search(r"[.:!?\u201d\"]\)?$|; and$|; or$|2014\.$", q):
        print(f"  note: quote end: {F[key]} ...{q[-40:]!r}", file=sys.stderr)
    return {"source": F[key], "quote": q}


def E(key, start, end=None, nl=False):
    return [quote(key, start, end, nl)]


def D(start, end=None, nl=False):
    """Same sentence in 000 and 001."""
    return [quote(0, start, end, nl), quote(1, start, end, nl)]


QS = {"seeds": [], "licenses": [], "seeds_more": [], "licenses_more": []}
_cur = None


def _norm(s):
    s = "".join(c for c in s.lower() if not unicodedata.category(c).startswith(("P", "S")))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", s).split())


def A(q, answers, evs, tags):
    seen = set()
    answers = [a for a in answers if not (_norm(a) in seen or seen.add(_norm(a)))]
    ev = []
    for x in evs:
        ev.extend(x)
    tags = list(tags)
    srcs = {e["source"][:3] for e in ev}
    if {"000", "001"} <= srcs and "duplicate" not in tags:
        tags.append("duplicate")
    QS[_cur].append(
        {"question": q, "answerable": True, "answers": answers, "evidence": ev, "tags": tags}
    )


def U(q, tags):
    tags = ["unanswerable"] + list(tags)
    QS[_cur].append(
        {"question": q, "answerable": False, "answers": [], "evidence": [], "tags": tags}
    )


# ---------------------------------------------------------------- seeds ----
_cur = "seeds"

# --- 000 / 001 shared column (Edward Dark, Al-Monitor, 2014) -------------
A(
    "Where did the new front open that shocked Syria watchers?",
    ["Kassab", "Kassab in rural Latakia province"],
    [D("The shock came when a new front opened", "largely composed of Alawites.")],
    ["where", "lexical"],
)
A(
    "what kind of town was Kassab",
    ["a predominantly Armenian resort town", "Armenian resort town"],
    [D("Kassab itself was a predominantly Armenian", "against the inhabitants.")],
    ["what", "lexical"],
)
A(
    "who led the 2014 Kassab offensive?",
    ["extremist Islamist factions", "radical Islamist groups"],
    [
        D("Kassab itself was a predominantly Armenian", "against the inhabitants."),
        D("Such scenarios might actually be the purpose", "spearheading the current assault."),
    ],
    ["who", "paraphrase"],
)
A(
    "What did people fear the Islamists who took Kassab might do to its inhabitants?",
    ["perpetrate genocide", "genocide"],
    [D("Kassab itself was a predominantly Armenian", "against the inhabitants.")],
    ["what", "lexical"],
)
A(
    "According to which organisation were war crimes committed in the August 2013 rebel push into rural Latakia?",
    ["Human Rights Watch"],
    [D("This fear was not entirely unfounded", "according to Human Rights Watch.")],
    ["who", "lexical"],
)
A(
    "when was the previous time rebels attacked the Latakia countryside before Kassab",
    ["August 2013"],
    [D("This fear was not entirely unfounded", "according to Human Rights Watch.")],
    ["when", "date", "paraphrase"],
)
A(
    "Which country does Damascus say is backing the rebels with logistics and weapons in the Kassab area?",
    ["Turkey"],
    [D("Importantly, the Syrian regime accuses Turkey", "to take over the area.")],
    ["who", "paraphrase"],
)
A(
    "How many displaced Sunnis now live in the city of Latakia?",
    ["hundreds of thousands"],
    [D("This fresh offensive raises already strained", "Alawites and Christians.")],
    ["number", "lexical"],
)
A(
    "latakia displaced sunnis mainly from which city",
    ["Aleppo"],
    [D("This fresh offensive raises already strained", "Alawites and Christians.")],
    ["where", "lexical"],
)
A(
    "Which three communities made up Latakia city's original population?",
    ["Sunnis, Alawites and Christians", "mixed Sunnis, Alawites and Christians"],
    [D("This fresh offensive raises already strained", "Alawites and Christians.")],
    ["who", "paraphrase"],
)
A(
    "Which opposition figure spoke out against the assault on Kassab and sounded the alarm?",
    ["Michel Kilo"],
    [D("The danger is being taken seriously", "ringing alarm bells.")],
    ["who", "paraphrase"],
)
A(
    "How did the Assad government respond to the danger in Latakia?",
    ["sent reinforcements of its best units", "reinforcements of its best units"],
    [D("The danger is being taken seriously", "ringing alarm bells.")],
    ["how", "paraphrase"],
)
A(
    "who is the head of the Syrian National Coalition",
    ["Ahmad Jarba"],
    [D("Syrian National Coalition head Ahmad Jarba", "but rather fighting the regime.")],
    ["who", "lexical"],
)
A(
    "According to the coalition leader who toured the front, what was the rebels' real objective, if not ethnic cleansing?",
    ["fighting the regime"],
    [D("Syrian National Coalition head Ahmad Jarba", "but rather fighting the regime.")],
    ["what", "paraphrase"],
)
A(
    "Which Free Syrian Army general visited the Latakia front lines the previous August?",
    ["Salim Idriss", "Gen. Salim Idriss"],
    [D("Such words would undoubtedly sound hollow", "with the same message.")],
    ["who", "lexical"],
)
A(
    "What happened to the Alawite community soon after Gen. Salim Idriss visited the Latakia front?",
    ["heinous massacres were committed", "heinous massacres", "massacres"],
    [D("Such words would undoubtedly sound hollow", "against the Alawite community.")],
    ["what", "multi-sentence", "lexical"],
)
A(
    "Latakia is described as what",
    ["a tinderbox", "tinderbox"],
    [D("Latakia is a tinderbox", "should not be understated.")],
    ["what", "lexical"],
)
A(
    "Which three worst-case outcomes does the columnist think are now realistic for Syria?",
    [
        "All-out sectarian warfare, ethnic cleansing and disintegration of the Syrian nation into sectarian enclaves",
        "sectarian warfare, ethnic cleansing and disintegration",
    ],
    [
        D(
            "All-out sectarian warfare, ethnic cleansing and disintegration",
            "are all real possibilities now.",
        )
    ],
    ["what", "paraphrase"],
)
A(
    "What do the jihadist groups want to carve out for themselves, since they can't win the whole country?",
    ["a Sunni state", "Sunni state"],
    [D("They realize they cannot win the war", "carcass of a dying country.")],
    ["what", "lexical"],
)
A(
    "Why would the radical groups want to provoke genocide?",
    ["to carve for themselves a Sunni state", "a Sunni state"],
    [D("They realize they cannot win the war", "the best way of achieving that result.", nl=True)],
    ["why", "multi-sentence", "paraphrase"],
)
A(
    "Is it known whether the foreign powers behind the militants are aware of their plans?",
    ["unclear"],
    [D("Whether the regional and global powers backing", "are aware of such plans is unclear.")],
    ["what", "lexical"],
)
A(
    "if the backers don't know about the plans, what does the author say one has to wonder about",
    [
        "the strategic rationale justifying such a large-scale military offensive",
        "the strategic rationale",
    ],
    [D("Whether the regional and global powers backing", "into a sensitive area.")],
    ["what", "multi-sentence", "lexical"],
)
A(
    "Turkey's direct involvement might just have been a vote-winning stunt by whom?",
    ["the Turkish prime minister", "Turkish prime minister"],
    [D("Another equally important question is whether", "its neighbor's war.")],
    ["who", "paraphrase"],
)
A(
    "what upcoming event might explain Turkey's recent direct involvement in Syria",
    ["local elections"],
    [D("Another equally important question is whether", "its neighbor's war.")],
    ["why", "paraphrase"],
)
A(
    "Besides Latakia, which other front heated up?",
    ["Aleppo"],
    [D("Another front that has heated up", "is Aleppo.")],
    ["where", "lexical"],
)
A(
    "When did resurgent Islamist rebels start their own offensive in Aleppo?",
    ["late March"],
    [D("After a succession of rapid military gains", "their own offensive in late March.")],
    ["when", "date", "lexical"],
)
A(
    "Why did the regime's campaign around Aleppo stall?",
    [
        "resurgent Islamist rebel forces began their own offensive",
        "resurgent Islamist rebel forces began their own offensive in late March",
    ],
    [D("After a succession of rapid military gains", "their own offensive in late March.")],
    ["why", "lexical"],
)
A(
    "In which province was ISIS concentrating its war against the Kurds?",
    ["Hasakah"],
    [D("After the Islamic State of Iraq and al-Sham (ISIS) withdrew", "a chance to regroup.")],
    ["where", "paraphrase"],
)
A(
    "where did ISIS consolidate its hold",
    ["al-Raqqa"],
    [D("After the Islamic State of Iraq and al-Sham (ISIS) withdrew", "a chance to regroup.")],
    ["where", "lexical"],
)
A(
    "What gave Aleppo's rebel factions breathing room to reorganise?",
    ["ISIS withdrew from most of Aleppo province"],
    [
        D("After the Islamic State of Iraq and al-Sham (ISIS) withdrew", "a chance to regroup."),
    ],
    ["why", "paraphrase"],
)
A(
    "What feared building overlooks the northwestern entrance to government-held Aleppo?",
    [
        "the infamous and powerful air force intelligence headquarters",
        "air force intelligence headquarters",
    ],
    [D("This lifting of ISIS pressure culminated", "in the al-Zahra neighborhood.")],
    ["what", "paraphrase"],
)
A(
    "air force intelligence HQ Aleppo neighborhood",
    ["al-Zahra", "the al-Zahra neighborhood"],
    [D("This lifting of ISIS pressure culminated", "in the al-Zahra neighborhood.")],
    ["where", "lexical"],
)
A(
    "Where did the jihadist fighters seize key buildings near the intelligence HQ?",
    ["Layramoun", "the nearby Layramoun area"],
    [D("The fighting has been fierce and intense", "in the nearby Layramoun area.")],
    ["where", "paraphrase"],
)
A(
    "What were the rebels aiming for when they attacked near the Damascus highway in Aleppo's northeast?",
    ["the large military academy", "military academy"],
    [D("In the last couple of days, the rebels have also attacked", "that dominates that area.")],
    ["what", "lexical"],
)
A(
    "What is the sole supply route into the west of Aleppo city?",
    ["the Khanaser military road", "Khanaser military road"],
    [
        D(
            "The attacks on the two fronts appear to be coordinated",
            "via the Khanaser military road.",
        )
    ],
    ["what", "where", "paraphrase"],
)
A(
    "What is the online campaign activists launched about Aleppo called?",
    ["#SaveAleppo", "SaveAleppo"],
    [
        D(
            "Meanwhile, activists have launched an online campaign",
            "campaign by the Armenian diaspora.",
        )
    ],
    ["what", "lexical"],
)
A(
    "who was behind the #SaveKassab campaign",
    ["the Armenian diaspora", "Armenian diaspora"],
    [
        D(
            "Meanwhile, activists have launched an online campaign",
            "campaign by the Armenian diaspora.",
        )
    ],
    ["who", "lexical"],
)
A(
    "Which government weapon does the Aleppo campaign want to highlight the devastation of?",
    ["barrel bombs"],
    [D("The Aleppo campaign aims to draw attention", "describes in horrific detail.")],
    ["what", "paraphrase"],
)
A(
    "date of the Human Rights Watch report on barrel bombs",
    ["March 24"],
    [D("The Aleppo campaign aims to draw attention", "describes in horrific detail.")],
    ["when", "date", "lexical"],
)
A(
    "On average, how many shells and missiles were landing on the neighborhoods each day?",
    ["20", "an average of 20"],
    [D("The past 10 days have been particularly intense", "killing and wounding dozens.")],
    ["number", "lexical"],
)
A(
    "How many were killed by rebel shelling of Hamdanieh on March 7?",
    ["11"],
    [D("On March 7", "but failed to explode.")],
    ["number", "lexical"],
)
A(
    "how many wounded in the Hamdanieh shelling",
    ["over 30", "30"],
    [D("On March 7", "but failed to explode.")],
    ["number", "lexical"],
)
A(
    "What did a dud shell land on on March 6?",
    ["a relief agency center brimming with people", "a relief agency center"],
    [D("On March 7", "but failed to explode.")],
    ["what", "paraphrase"],
)
A(
    "How does the columnist characterise the way each side in Aleppo hits civilians on the other?",
    ["tit-for-tat retaliation", "in tit-for-tat retaliation"],
    [D("Once again, Aleppo seems stuck", "in tit-for-tat retaliation.")],
    ["how", "paraphrase"],
)
A(
    "Who is paying the ultimate price for this futile madness?",
    ["the residents of this godforsaken city", "residents of this godforsaken city"],
    [D("We, the residents of this godforsaken city", "futile madness.")],
    ["who", "lexical"],
)
A(
    "What does the writer predict the war will remain stuck in?",
    ["a bloody deadlock", "bloody deadlock"],
    [D("All in all, it appears that the Syrian conflict", "open sectarian violence.")],
    ["what", "paraphrase"],
)
A(
    "Where were rebel fighters photographed praying near Kassab on March 31, 2014?",
    ["the beach of al-Samra", "al-Samra"],
    [
        E(0, "Rebel fighters pray at the beach", "March 31, 2014."),
        E(1, "Rebel fighters pray at the beach", "March 31, 2014."),
    ],
    ["where", "lexical"],
)

# --- 000 only (lead paragraph, caption) ----------------------------------
A(
    "Which battle was ending, with the regime on top, just before the new fronts opened?",
    ["the battle for the strategic Qalamoun area", "Qalamoun"],
    [E(0, "ALEPPO, Syria", "seemingly endless civil war.")],
    ["what", "paraphrase"],
)
A(
    "The Qalamoun area lies in the mountains between which two countries?",
    ["Syria and Lebanon"],
    [E(0, "ALEPPO, Syria", "seemingly endless civil war.")],
    ["where", "lexical"],
)
A(
    "Where did commentators think the next major showdown would happen?",
    ["southern Daraa province", "Daraa"],
    [E(0, "Most Syria observers and analysts expected", "regional powers.")],
    ["where", "paraphrase"],
)
A(
    "which province is the cradle of the Syrian revolt",
    ["Daraa", "southern Daraa province"],
    [E(0, "Most Syria observers and analysts expected", "regional powers.")],
    ["where", "paraphrase"],
)
A(
    "What is notably missing from the Daraa region, unlike elsewhere in Syria?",
    ["radical Islamist groups", "the radical Islamist groups"],
    [E(0, "Crucially, this area is devoid", "war-torn country.")],
    ["what", "paraphrase"],
)
A(
    "In which Turkish town did cross-border fire hit a mosque?",
    ["Yayladagi", "the town of Yayladagi"],
    [E(0, "The Turkish military fired back into Syria", "local media said.")],
    ["where", "lexical"],
)
A(
    "What day did the Turkish military fire back into Syria?",
    ["Monday", "on Monday"],
    [E(0, "The Turkish military fired back into Syria", "local media said.")],
    ["when", "lexical"],
)

# --- 001 only (byline) ----------------------------------------------------
A(
    "Who wrote the Al-Monitor column about Kassab and Aleppo?",
    ["Edward Dark"],
    [E(1, "Edward Dark (a pseudonym)", "living in Aleppo.")],
    ["who", "paraphrase"],
)
A(
    "In which city does the columnist Edward Dark live?",
    ["Aleppo"],
    [E(1, "Edward Dark (a pseudonym)", "living in Aleppo.")],
    ["where", "lexical"],
)

# --- 002 (AP-style report, March 2025) ----------------------------------
A(
    "How many casualties did the clashes after the patrol attack cause, per the war monitor?",
    ["more than 1,000", "1,000", "over 1,000"],
    [
        E(2, "An attack on a Syrian security patrol", "according to a war monitor."),
        E(
            4,
            "Syria's coastal governorates of Latakia and Tartus",
            "primarily from the Alawite community.",
        ),
    ],
    ["number", "lexical"],
)
A(
    "Over how many days did the 1,000-plus casualties after the patrol attack occur?",
    ["four days", "four"],
    [E(2, "An attack on a Syrian security patrol", "according to a war monitor.")],
    ["number", "when", "lexical"],
)
A(
    "On which weekday did the attack near the port city of Latakia happen?",
    ["Thursday", "on Thursday"],
    [E(2, "The incident, which occurred near the port city", "in Syria since December.")],
    ["when", "lexical"],
)
A(
    "how long had syria's civil war lasted by the time of the 2025 patrol ambush",
    ["13-year"],
    [E(2, "The incident, which occurred near the port city", "in Syria since December.")],
    ["number", "paraphrase"],
)
A(
    "When was Assad's government overthrown?",
    ["December", "since December"],
    [E(2, "The incident, which occurred near the port city", "toppled Assad's regime.")],
    ["when", "date", "paraphrase", "multi-sentence"],
)
A(
    "Which faction spearheaded the rebels that brought down the old regime?",
    ["Hayat Tahrir al-Sham", "HTS"],
    [E(2, "During that time, insurgents, led by", "toppled Assad's regime.")],
    ["who", "paraphrase"],
)
A(
    "who did Sunni militants target in revenge killings according to rights organizations",
    ["the Alawite minority", "Alawite minority"],
    [
        E(
            2,
            "Rights organizations have reported numerous revenge killings",
            "involvement in the insurgency.",
        )
    ],
    ["who", "lexical"],
)
A(
    "How long did the Alawite-dominated Assad family hold power in Syria?",
    ["over 50 years", "50 years"],
    [E(2, "The escalation of violence stems from", "under the Assad dynasty.")],
    ["number", "paraphrase"],
)
A(
    "Which town, Assad's birthplace, did pro-Assad gunmen seize in the ambush?",
    ["Qardaha"],
    [E(2, "In the ambush, pro-Assad Alawite gunmen", "from Damascus arrived.")],
    ["where", "lexical"],
)
A(
    "assad hometown",
    ["Qardaha"],
    [
        E(2, "In the ambush, pro-Assad Alawite gunmen", "from Damascus arrived."),
        E(3, "Syrian rebels launched a surprise offensive", "Qardaha on Monday."),
    ],
    ["where", "lexical"],
)
A(
    "Where did the reinforcements that ended the gunmen's hold come from?",
    ["Damascus", "from Damascus"],
    [E(2, "In the ambush, pro-Assad Alawite gunmen", "from Damascus arrived.")],
    ["where", "paraphrase"],
)
A(
    "Which ministry said security forces had regained control and were hunting the insurgency's leaders?",
    ["The Defense Ministry", "Defense Ministry"],
    [E(2, "The Defense Ministry has since announced", "leaders of the insurgency.")],
    ["who", "lexical"],
)
A(
    "In which two places were most of the casualties living?",
    ["Latakia and Tartous"],
    [E(2, "Most of the casualties are believed to be Alawites", "Latakia and Tartous.")],
    ["where", "paraphrase"],
)
A(
    "The Alawite faith is an offshoot of what religion?",
    ["Shia Islam"],
    [E(2, "The Alawite sect, a branch of Shia Islam", "Sunni-majority country.")],
    ["what", "paraphrase"],
)
A(
    "Which foreign powers stood behind the former Syrian leader?",
    ["Russia and Iran"],
    [E(2, "Opposition to Assad's rule perceived favoritism", "allies, Russia and Iran.")],
    ["who", "paraphrase"],
)
A(
    "How does the new interim government plan to make Syria's system more inclusive?",
    ["through fair elections", "fair elections"],
    [E(2, "The new Sunni Islamist-led interim government", "though doubts persist.")],
    ["how", "lexical"],
)
A(
    "Who makes up the Alawite insurgency?",
    ["remnants of Assad's military and intelligence apparatus", "remnants of Assad's military"],
    [E(2, "The Alawite insurgency, comprising remnants", "their foreign supporters.")],
    ["who", "lexical"],
)
A(
    "which basic services got knocked out around Latakia",
    ["electricity and drinking water"],
    [E(2, "Amid the turmoil, critical infrastructure", "areas surrounding Latakia.")],
    ["what", "paraphrase"],
)
A(
    "Who accused both the security forces and pro-Assad gunmen of mass executions?",
    ["advocacy groups"],
    [
        E(
            2,
            "The Syrian Observatory for Human Rights reported numerous civilian casualties",
            "carrying out mass executions.",
        )
    ],
    ["who", "lexical"],
)
A(
    "How many civilians were reportedly slain over the weekend in suspected revenge killings?",
    ["125", "125 out of 140"],
    [E(2, "On Thursday, several forces were killed", "believed to be revenge killings.")],
    ["number", "lexical"],
)
A(
    "Which news agency said it couldn't verify the casualty figures?",
    ["The Associated Press", "Associated Press"],
    [E(2, "The accuracy of these numbers could not be verified", "attacks in Syria.")],
    ["who", "paraphrase"],
)
A(
    "What happened to many Alawite families' homes on the coast?",
    ["looted and set on fire", "were looted and set on fire"],
    [E(2, "Residents in the coastal region revealed", "looted and set on fire.")],
    ["what", "lexical"],
)
A(
    "Why did coastal residents describing the looting insist on anonymity?",
    ["due to safety concerns", "safety concerns"],
    [E(2, "Residents in the coastal region revealed", "these distressing details.")],
    ["why", "multi-sentence", "paraphrase"],
)
A(
    "What excuse did the authorities give for the attacks on ordinary people?",
    ["individual actions"],
    [
        E(
            2,
            "The violence against civilians was attributed by Damascus",
            "loyal to the previous regime.",
        )
    ],
    ["how", "paraphrase"],
)
A(
    "Which southern religious minority has the new government had trouble dealing with?",
    ["the Druze minority", "Druze"],
    [E(2, "Damascus has faced challenges in gaining the trust", "Druze minority in the south.")],
    ["who", "paraphrase"],
)
A(
    "Why does al-Sharaa want US and European sanctions lifted?",
    ["to facilitate economic recovery", "economic recovery"],
    [E(2, "Al-Sharaa has been advocating for the lifting of sanctions", "revitalize the country.")],
    ["why", "lexical"],
)
A(
    "What are Washington and European capitals afraid of if they ease sanctions too early?",
    ["a return to autocratic governance", "return to autocratic governance"],
    [E(2, "However, Washington and Europe are cautious", "return to autocratic governance.")],
    ["why", "paraphrase"],
)
A(
    "Who mostly sits on the panel al-Sharaa set up to probe the violence?",
    ["judges"],
    [E(2, "A committee, predominantly comprised of judges", "to investigate the violence.")],
    ["who", "paraphrase"],
)
A(
    "On what day did Rubio release his statement urging accountability?",
    ["Sunday", "on Sunday"],
    [E(2, "In a statement released on Sunday", "these massacres accountable.")],
    ["when", "lexical"],
)
A(
    "Which minorities did Rubio express solidarity with?",
    ["Christians, Druze, Alawites, and Kurds"],
    [E(2, "Rubio expressed solidarity with Syria's religious", "Alawites, and Kurds.")],
    ["who", "lexical"],
)
A(
    "Who is Syria's interim president?",
    ["Ahmad Al-Sharaa", "Ahmed al-Sharaa", "al-Julani"],
    [
        E(2, "The new Sunni Islamist-led interim government", "though doubts persist."),
        E(4, "Syria's interim president, Ahmed al-Sharaa (al-Julani)", "handling of the crisis."),
    ],
    ["who", "lexical"],
)

# --- 003 (2013 offensive into the Alawite heartland) --------------------
A(
    "On which day did rebels launch their surprise offensive into Assad's Alawite heartland?",
    ["Sunday", "on Sunday"],
    [E(3, "Syrian rebels launched a surprise offensive", "Qardaha on Monday.")],
    ["when", "lexical"],
)
A(
    "What facility north of Aleppo fell to the rebels?",
    ["a military airport", "military airport"],
    [E(3, "Syrian rebels launched a surprise offensive", "Qardaha on Monday.")],
    ["what", "paraphrase"],
)
A(
    "how many villages did rebels take east of latakia",
    ["half a dozen", "half a dozen villages"],
    [E(3, "Syrian rebels launched a surprise offensive", "Qardaha on Monday.")],
    ["number", "lexical"],
)
A(
    "How many brigades pushed south from Qardaha toward Aramo?",
    ["Ten", "Ten mainly Islamist brigades"],
    [E(3, "Ten mainly Islamist brigades", "the news agency Reuters.")],
    ["number", "lexical"],
)
A(
    "Two of the rebel units were linked to which terror network?",
    ["Al Qaeda"],
    [E(3, "Ten mainly Islamist brigades", "the news agency Reuters.")],
    ["who", "paraphrase"],
)
A(
    "To the outskirts of which village did the brigades advance?",
    ["Aramo", "the village of Aramo"],
    [E(3, "Ten mainly Islamist brigades", "the news agency Reuters.")],
    ["where", "lexical"],
)
A(
    "What anti-tank weapons were rebels filmed firing?",
    ["Russian Konkurs anti-tank missiles", "Konkurs"],
    [E(3, "Videos taken by activists showed rebels firing", "Sunni provinces in the east.")],
    ["what", "lexical"],
)
A(
    "what mountain range shields the alawite coastal homeland from the sunni east",
    ["the an-Nusayriyah Mountains", "an-Nusayriyah Mountains"],
    [E(3, "Videos taken by activists showed rebels firing", "Sunni provinces in the east.")],
    ["where", "lexical"],
)
A(
    "What kind of village is Salma?",
    ["a Sunni village", "Sunni village"],
    [E(3, "Videos taken by activists showed rebels firing", "Sunni provinces in the east.")],
    ["what", "lexical"],
)
A(
    "Which Lebanese militia fought alongside Assad's elite guard units?",
    ["Hezbollah"],
    [E(3, "The area is the main recruiting ground", "financed by Syria's ally Iran.")],
    ["who", "paraphrase"],
)
A(
    "Who bankrolls Hezbollah?",
    ["Iran", "Syria's ally Iran"],
    [E(3, "The area is the main recruiting ground", "financed by Syria's ally Iran.")],
    ["who", "paraphrase"],
)
A(
    "The Alawite mountain area is the main source of recruits for which forces?",
    ["Assad's core praetorian guard units", "praetorian guard units"],
    [E(3, "The area is the main recruiting ground", "financed by Syria's ally Iran.")],
    ["who", "paraphrase"],
)
A(
    "Which river valley in the east is largely controlled by the insurgency?",
    ["the Euphrates River valley", "Euphrates"],
    [E(3, "The offensive risk both exacerbating", "River valley in the east.")],
    ["where", "lexical"],
)
A(
    "How many years into the civil war was the rebel offensive into the Alawite heartland?",
    ["three years", "three"],
    [E(3, "The offensive risk both exacerbating", "River valley in the east.")],
    ["number", "lexical"],
)
A(
    "What did the ethnic cleansing reports from the mountain towns make people suspect the regime was doing?",
    ["carving out a homogenous enclave for Assad's Alawite sect", "a homogenous enclave"],
    [E(3, "Reports of ethnic cleansing earlier surfaced", "a government stronghold.")],
    ["what", "paraphrase"],
)
A(
    "qusayr lies on which highway",
    ["the highway from Damascus to Homs", "Damascus to Homs"],
    [E(3, "Reports of ethnic cleansing earlier surfaced", "a government stronghold.")],
    ["where", "lexical"],
)
A(
    "Which city is called a hotbed of rebel activity?",
    ["Homs"],
    [E(3, "Reports of ethnic cleansing earlier surfaced", "a government stronghold.")],
    ["where", "lexical"],
)
A(
    "Where is there an oil terminal between Tartus and Latakia?",
    ["Baniyas", "at Baniyas"],
    [E(3, "Whether Assad's aim is to retreat", "opening into such a redoubt.")],
    ["where", "lexical"],
)
A(
    "Why couldn't Assad afford to lose Qusayr?",
    ["give the rebels a permanent opening into such a redoubt", "a permanent opening"],
    [E(3, "Whether Assad's aim is to retreat", "opening into such a redoubt.")],
    ["why", "lexical"],
)
A(
    "When did pro-government troops retake Qusayr?",
    ["early June", "in early June"],
    [E(3, "Whether Assad's aim is to retreat", "weeks of heavy fighting.")],
    ["when", "date", "multi-sentence", "paraphrase"],
)
A(
    "What does the rebel incursion in the northwest risk worsening?",
    ["Syria's sectarian divide", "sectarian divide"],
    [E(3, "A rebel incursion in the northwest risks", "sectarian divide.")],
    ["what", "lexical"],
)

# --- 004 (March 2025 coastal massacres) ---------------------------------
A(
    "Which areas became the epicentre of the renewed sectarian violence?",
    ["Latakia and Tartus", "coastal governorates of Latakia and Tartus, and parts of Homs"],
    [
        E(
            4,
            "Syria's coastal governorates of Latakia and Tartus",
            "primarily from the Alawite community.",
        )
    ],
    ["where", "lexical"],
)
A(
    "Mostly members of which community died in the coastal bloodshed?",
    ["the Alawite community", "Alawite"],
    [
        E(
            4,
            "Syria's coastal governorates of Latakia and Tartus",
            "primarily from the Alawite community.",
        )
    ],
    ["who", "paraphrase"],
)
A(
    "On what date did the 2025 surge of sectarian violence on the coast start?",
    ["6 March"],
    [E(4, "This surge in violence, which started on 6 March", "prevent further atrocities.")],
    ["when", "date", "lexical"],
)
A(
    "How many police officers died in the ambush of the security patrol near Latakia?",
    ["at least 13", "13"],
    [
        E(
            4,
            "The UK-based Syrian Observatory for Human Rights (SOHR) reported",
            "at least 13 police officers.",
        )
    ],
    ["number", "lexical"],
)
A(
    "what did the coordinated attacks on Alawite villages lead to",
    ["mass executions, arson and the destruction of entire neighbourhoods", "mass executions"],
    [E(4, "This initial clash rapidly escalated", "destruction of entire neighbourhoods.")],
    ["what", "lexical"],
)
A(
    "Which civic buildings were reportedly attacked besides homes and villages?",
    ["schools and hospitals"],
    [E(4, "Reports indicate that public spaces", "fears of ethnic cleansing.")],
    ["what", "paraphrase"],
)
A(
    "Who directs the Syrian Observatory for Human Rights?",
    ["Rami Abdulrahman"],
    [E(4, "SOHR Director Rami Abdulrahman", 'deliberate ethnic cleansing".')],
    ["who", "paraphrase"],
)
A(
    "How did the observatory's chief describe the events?",
    [
        "a systematic attempt to erase the Alawite presence from these regions",
        "a systematic attempt to erase the Alawite presence",
        "deliberate ethnic cleansing",
    ],
    [E(4, "SOHR Director Rami Abdulrahman", 'deliberate ethnic cleansing".')],
    ["how", "paraphrase"],
)
A(
    "humanitarian worker in Tartus description of the scene",
    ["orchestrated slaughter"],
    [
        E(
            4,
            "A humanitarian worker in Tartus characterised",
            "collateral damage of conventional warfare.",
        )
    ],
    ["what", "lexical"],
)
A(
    "Which newspaper said the attacks looked like premeditated genocide rather than collateral damage?",
    ["The Guardian", "Guardian"],
    [
        E(
            4,
            "A humanitarian worker in Tartus characterised",
            "collateral damage of conventional warfare.",
        )
    ],
    ["who", "lexical"],
)
A(
    "Who is Guterres's spokesperson?",
    ["Stéphane Dujarric", "Dujarric"],
    [
        E(
            4,
            "UN Secretary-General António Guterres, through his spokesperson",
            "must be prioritised.",
        )
    ],
    ["who", "lexical"],
)
A(
    "Who is the UN's human rights chief?",
    ["Volker Türk", "Türk"],
    [E(4, "High Commissioner for Human Rights Volker Türk reinforced this stance, declaring:")],
    ["who", "paraphrase"],
)
A(
    "According to the UN rights chief, what can the world not stand by and watch?",
    ["entire communities are targeted for extermination"],
    [E(4, "The world cannot stand by as entire communities", "targeted for extermination.")],
    ["what", "lexical"],
)
A(
    "Which American cabinet member gave the harshest rebuke so far of Damascus's transitional authorities?",
    ["Marco Rubio", "Secretary of State Marco Rubio"],
    [E(4, "The United States mirrored these sentiments", "against Syria's interim government.")],
    ["who", "paraphrase"],
)
A(
    "What did Rubio accuse the HTS-led administration of?",
    ["complicity in sectarian cleansing"],
    [E(4, "Calling the massacres", "international tolerance.")],
    ["what", "lexical"],
)
A(
    "How did Rubio label the massacres?",
    ["a flagrant violation of international law", "flagrant violation of international law"],
    [E(4, "Calling the massacres", "international tolerance.")],
    ["how", "lexical"],
)
A(
    "Which partners did America's top diplomat want to line up joint penalties with?",
    ["NATO allies and the European Union", "NATO allies"],
    [E(4, "Rubio urged NATO allies and the European Union", "HTS-affiliated factions.")],
    ["who", "paraphrase"],
)
A(
    "Who is Germany's special envoy for Syria?",
    ["Stefan Schneck"],
    [E(4, "Germany's Special Envoy for Syria, Stefan Schneck", "transitional justice.")],
    ["who", "lexical"],
)
A(
    "What did Britain's foreign secretary say must be a priority?",
    [
        "the protection of all Syrians, regardless of their background",
        "the protection of all Syrians",
    ],
    [E(4, "Meanwhile, UK Foreign Secretary David Lammy", "prevent further atrocities.")],
    ["what", "lexical"],
)
A(
    "UK foreign secretary name",
    ["David Lammy"],
    [E(4, "Meanwhile, UK Foreign Secretary David Lammy", "prevent further atrocities.")],
    ["who", "lexical"],
)
A(
    "Which media said Ankara's proxies were directly involved in killing Alawites?",
    ["Reuters and Medya News"],
    [E(4, "Reports from Reuters and Medya News", "massacres of Alawite civilians.")],
    ["who", "paraphrase"],
)
A(
    "Which two HTS-affiliated militias are singled out?",
    [
        "the Sultan Suleiman Shah Division and the Hamza Division",
        "Sultan Suleiman Shah Division and Hamza Division",
    ],
    [E(4, "Among the groups named are HTS", "history of sectarian violence.")],
    ["who", "paraphrase"],
)
A(
    "Where have the Sultan Suleiman Shah and Hamza divisions previously been accused of war crimes?",
    ["Afrin", "Afrin and other Kurdish-majority regions"],
    [E(4, "Among the groups named are HTS", "Kurdish-majority regions.")],
    ["where", "lexical", "multi-sentence"],
)
A(
    "Who commands the Syrian Democratic Forces?",
    ["Mazloum Abdi"],
    [
        E(4, "According to Mazloum Abdi, commander", "Syrian Democratic Forces (SDF):"),
        E(4, "Syrian Democratic Forces Commander Mazloum Abdi warned", "Christian areas:"),
    ],
    ["who", "lexical"],
)
A(
    "According to the SDF chief, who needs to step in to stop the killings?",
    ["Ahmed al-Sharaa"],
    [E(4, "According to Mazloum Abdi, commander", "halt these massacres.", nl=True)],
    ["who", "paraphrase", "multi-sentence"],
)
A(
    "From which city did Mazloum Abdi issue his warning?",
    ["Qamishli", "Qamişlo"],
    [E(4, "Syrian Democratic Forces Commander Mazloum Abdi warned", "Christian areas:")],
    ["where", "paraphrase"],
)
A(
    "Which other communities could be hit next if the perpetrators go unpunished?",
    ["Kurdish, Druze and Christian", "Kurdish, Druze, and Christian populations"],
    [
        E(4, "Syrian Democratic Forces Commander Mazloum Abdi warned", "Christian areas:"),
        E(4, "SOHR and HRW experts stress", "Druze, and Christian populations."),
    ],
    ["who", "paraphrase"],
)
A(
    "What did militants in the video pledge to do?",
    ["march to the Qandil mountains"],
    [
        E(4, "In one video, militants can be heard pledging", "headquarters in northern Iraq."),
        E(4, "In a video recorded by Hamza Division", "headquarters in northern Iraq."),
    ],
    ["what", "lexical"],
)
A(
    "where is the PKK's headquarters",
    ["the Qandil mountains", "northern Iraq"],
    [
        E(4, "In one video, militants can be heard pledging", "headquarters in northern Iraq."),
        E(4, "In a video recorded by Hamza Division", "headquarters in northern Iraq."),
    ],
    ["where", "lexical"],
)
A(
    "In the footage of perpetrators swearing loyalty to Turkey, what did the militants vow to do?",
    ["march to the Qandil mountains"],
    [E(4, "Meanwhile, footage has surfaced showing", "headquarters in northern Iraq.")],
    ["what", "multi-sentence", "paraphrase"],
)
A(
    "Which faction filmed the militant vowing to head for Qandil?",
    ["Hamza Division", "the Hamza Division"],
    [E(4, "In a video recorded by Hamza Division", "headquarters in northern Iraq.")],
    ["who", "paraphrase"],
)
A(
    "Whom do SOHR and HRW hold chiefly responsible for the atrocities?",
    ["HTS-affiliated factions"],
    [
        E(
            4,
            "The SOHR and Human Rights Watch (HRW) have both identified",
            "perpetrators of these atrocities.",
        )
    ],
    ["who", "paraphrase"],
)
A(
    "How did a senior HRW researcher characterise the killings?",
    [
        "a calculated act of sectarian cleansing",
        "Not only a war crime but a calculated act of sectarian cleansing",
    ],
    [
        E(
            4,
            "A senior HRW researcher characterised the killings as:",
            "diverse communities.",
            nl=True,
        )
    ],
    ["how", "multi-sentence", "lexical"],
)
A(
    "Who did al-Sharaa blame for the violence in his national address?",
    ["remnants of the former regime"],
    [
        E(
            4,
            "Syria's interim president, Ahmed al-Sharaa (al-Julani)",
            "seeking to destabilise the country.",
        )
    ],
    ["who", "multi-sentence", "lexical"],
)
A(
    "What body did the interim president say he was setting up?",
    ["an investigative committee", "investigative committee"],
    [E(4, "He announced the formation of an investigative committee", "nation's unity.")],
    ["what", "paraphrase"],
)
A(
    "Why do experts doubt the probes into the killings will be credible?",
    ["HTS factions form a crucial part of his administration"],
    [E(4, "Many analysts question the credibility", "part of his administration.")],
    ["why", "paraphrase"],
)
A(
    "Who is Israel's foreign minister?",
    ["Gideon Sa'ar", "Gideon Saar"],
    [
        E(
            4,
            "Israel has strongly condemned the escalating sectarian violence",
            "interim government led by HTS.",
        )
    ],
    ["who", "lexical"],
)
A(
    "What does Israel's top diplomat say Europe has to stop doing?",
    ["granting legitimacy to a regime", "stop granting legitimacy to a regime"],
    [E(4, "It must stop granting legitimacy", "are these atrocities.")],
    ["what", "paraphrase"],
)
A(
    "Do Turks agree about their government's role in the Syrian bloodshed?",
    ["sharply divided"],
    [E(4, "In Turkey, public opinion on Ankara", "remains sharply divided.")],
    ["how", "paraphrase"],
)
A(
    "Who leads Turkey's main opposition CHP?",
    ["Özgür Özel"],
    [E(4, "Republican People's Party (CHP) leader", "further civilian casualties.")],
    ["who", "lexical"],
)
A(
    "Who are the co-chairs of the DEM Party?",
    ["Tülay Hatimoğulları and Tuncer Bakırhan"],
    [E(4, "DEM Co-chairs Tülay", "urging the international community to take action.")],
    ["who", "lexical"],
)
A(
    "What does the pro-Kurdish DEM Party want Ankara to end?",
    [
        "Turkey's support for groups implicated in sectarian violence",
        "support for groups implicated in sectarian violence",
    ],
    [E(4, "Similarly, the pro-Kurdish Peoples", "implicated in sectarian violence.")],
    ["what", "lexical"],
)
A(
    "How did Turkey's foreign minister dismiss the allegations?",
    ["baseless accusations"],
    [
        E(
            4,
            "Foreign Minister Hakan Fidan has denied any direct involvement",
            'baseless accusations".',
        )
    ],
    ["how", "lexical"],
)
A(
    "Who is Turkey's top diplomat?",
    ["Hakan Fidan"],
    [
        E(
            4,
            "Foreign Minister Hakan Fidan has denied any direct involvement",
            'baseless accusations".',
        ),
        E(
            4,
            "Turkish Foreign Minister Hakan Fidan has denied direct involvement",
            "move across the border.",
        ),
    ],
    ["who", "paraphrase"],
)
A(
    "According to independent reports, what has Ankara done for the HTS-affiliated fighters?",
    [
        "provided logistical support and allowed HTS-affiliated fighters to move across the border",
        "provided logistical support",
    ],
    [
        E(
            4,
            "Turkish Foreign Minister Hakan Fidan has denied direct involvement",
            "move across the border.",
        )
    ],
    ["what", "lexical"],
)
A(
    "Which state-run Turkish news agency tried to blame pro-Assad soldiers?",
    ["Anadolu Agency", "AA"],
    [E(4, "Meanwhile, the state-run Anadolu Agency (AA)", "Turkish-backed factions.")],
    ["who", "lexical"],
)
A(
    "where are Alawite households escaping to",
    ["towards government-held areas", "government-held areas"],
    [E(4, "Thousands of Alawite families have reportedly fled", "further sectarian reprisals.")],
    ["where", "paraphrase"],
)
A(
    "What kind of investigation did HRW's urgent appeal ask for?",
    ["a full-scale UN investigation", "full-scale UN investigation"],
    [E(4, "HRW has issued an urgent appeal", 'engaged in ethnic cleansing".')],
    ["what", "lexical"],
)
A(
    "international response so far beyond what",
    ["statements of condemnation"],
    [
        E(
            4,
            "Aid organisations are struggling to access affected regions",
            "statements of condemnation.",
        )
    ],
    ["what", "lexical"],
)
A(
    "On what date did clashes in the coastal provinces intensify, highlighting Alawite resistance to HTS rule?",
    ["7 March"],
    [
        E(
            4,
            "Intensifying clashes in Syria's coastal provinces on 7 March",
            "Assad-era centralisation.",
        )
    ],
    ["when", "date", "lexical"],
)
A(
    "What is the AANES calling for?",
    ["dialogue"],
    [E(4, "The AANES urges dialogue", "exacerbate instability.")],
    ["what", "lexical"],
)
A(
    "What does the SDF commander fear will be erased if the world doesn't act?",
    ["Syria's rich diversity"],
    [E(4, "If the world does not intervene", "rich diversity.")],
    ["what", "paraphrase"],
)

# --- unanswerable: on-topic, fact absent from all five texts -------------
OM = ["ontopic-missing"]
U("What is the name of the rebel commander who led the 2014 assault on Kassab?", OM + ["who"])
U("How many Armenians lived in Kassab before the offensive?", OM + ["number"])
U("How many people were killed when Islamist factions stormed Kassab?", OM + ["number"])
U("Where did Kassab's Armenian residents flee to after the town was taken?", OM + ["where"])
U(
    "Which Turkish prime minister was suspected of using the Syrian involvement as an election ploy? Give his name.",
    OM + ["who"],
)
U("On what date were the Turkish local elections held?", OM + ["when", "date"])
U("what official position does Michel Kilo hold", OM + ["what"])
U("How many civilians died in the August 2013 rebel offensive in rural Latakia?", OM + ["number"])
U("When did Ahmad Jarba visit the Kassab front lines?", OM + ["when", "date"])
U("What is the name of the mosque in Yayladagi that was hit?", OM + ["what"])
U(
    "How many people were killed by regime barrel bombs according to the March 24 Human Rights Watch report?",
    OM + ["number"],
)
U("What is Edward Dark's real name?", OM + ["who"])
U("How many people shared the #SaveAleppo campaign online?", OM + ["number"])
U("What is the name of the military academy by the Damascus highway in Aleppo?", OM + ["what"])
U("how many Alawites were massacred after Salim Idriss's visit to Latakia", OM + ["number"])
U("How many members does the Syrian National Coalition have?", OM + ["number"])
U("When did the battle for Qalamoun begin?", OM + ["when", "date"])
U("Who commands the Hamza Division?", OM + ["who"])
U("Who is the leader of the Sultan Suleiman Shah Division?", OM + ["who"])
U(
    "What is the name of the senior HRW researcher who called the killings sectarian cleansing?",
    OM + ["who"],
)
U("name of the humanitarian worker in Tartus", OM + ["who"])
U("How many people were killed in Banyas during the March 2025 massacres?", OM + ["number"])
U(
    "What is the name of the military airport north of Aleppo that the rebels captured?",
    OM + ["what"],
)
U(
    "Which two Al Qaeda-affiliated groups took part in the offensive toward Aramo? Name them.",
    OM + ["who"],
)
U("How many fighters took part in the rebel advance on Aramo?", OM + ["number"])
U("Who is the leader of Hezbollah?", OM + ["who"])
U("How high are the an-Nusayriyah Mountains?", OM + ["number"])
U("Who is Syria's defense minister in the interim government?", OM + ["who"])
U("How many judges sit on al-Sharaa's investigative committee?", OM + ["number"])
U("When is the investigative committee due to publish its findings?", OM + ["when"])
U("How did Russia respond to the March 2025 massacres of Alawites?", OM + ["how"])
U("What was Iran's reaction to the coastal massacres?", OM + ["what"])
U("What did France say about the violence in Latakia and Tartus?", OM + ["what"])
U("How many Christians were killed in the coastal violence?", OM + ["number"])
U("How much humanitarian aid has the UN pledged for Latakia and Tartus?", OM + ["number"])
U("Where is Bashar Assad living now that he has been ousted?", OM + ["where"])
U("What is the population of Latakia city?", OM + ["number"])
U("How many people died in Tartus?", OM + ["number"])
U("Who commanded the security patrol that was ambushed near Latakia?", OM + ["who"])
U("When did Ahmed al-Sharaa deliver his national address on the violence?", OM + ["when", "date"])
U("What does AANES stand for?", OM + ["what"])
U("How many fighters does the SDF have?", OM + ["number"])
U("How many HTS members have been arrested over the killings?", OM + ["number"])
U("Who wrote the article about the rebel offensive into Assad's Alawite heartland?", OM + ["who"])
U("What weapons did the pro-Assad gunmen use in the ambush on the security patrol?", OM + ["what"])
U("In what year was the Syrian Observatory for Human Rights founded?", OM + ["when", "date"])

U("Which Turkish province's governor reported the strike on the Yayladagi mosque?", OM + ["where"])
U("How many people were wounded when the mortar shells hit Yayladagi?", OM + ["number"])
U("How many Alawite villages were attacked in the March 2025 violence?", OM + ["number"])
U("How many barrel bombs has the regime dropped on Aleppo?", OM + ["number"])
U(
    "How many people were killed in the rebel assault on the al-Zahra air force intelligence headquarters?",
    OM + ["number"],
)
U(
    "Which Guardian journalist reported that the coastal attacks looked like premeditated genocide?",
    OM + ["who"],
)
U("How many Alawites live in Syria?", OM + ["number"])
U("Who is the European Union's foreign policy chief who condemned the massacres?", OM + ["who"])
U("What did China say about the killings of Alawites on the coast?", OM + ["what"])

# --- unanswerable: off-topic ----------------------------------------------
OT = ["offtopic"]
U("Who won the 2018 FIFA World Cup?", OT + ["who"])
U("how long should I boil an egg for a runny yolk", OT + ["how"])
U("What is the capital of Australia?", OT + ["where"])
U("How do I sort a list in Python?", OT + ["how"])
U("What is the tallest mountain in Africa?", OT + ["where"])
U("Who wrote Pride and Prejudice?", OT + ["who"])
U("What temperature does water boil at in Fahrenheit?", OT + ["number"])
U("best sourdough starter recipe", OT + ["how"])
U("When did the first iPhone come out?", OT + ["when", "date"])
U("How many players are on a basketball team on court?", OT + ["number"])

# -------------------------------------------------------------- licences --
_cur = "licenses"

# Apache-2.0
A(
    "When was version 2.0 of the Apache License issued?",
    ["January 2004"],
    [E("apache", "Version 2.0, January 2004")],
    ["when", "date", "paraphrase"],
)
A(
    "Under Apache 2.0, what ownership share of outstanding shares counts as control?",
    ["fifty percent (50%) or more", "50% or more"],
    [
        E(
            "apache",
            'For the purposes of this definition,\n      "control" means',
            "beneficial ownership of such entity.",
        )
    ],
    ["number", "lexical"],
)
A(
    "In Apache terms, what is the version of a work you'd ideally edit?",
    ["the preferred form for making modifications"],
    [E("apache", '"Source" form shall mean', "and configuration files.")],
    ["what", "paraphrase"],
)
A(
    "In Apache terms, what is the copyright owner or the entity it authorises to grant the licence called?",
    ["Licensor"],
    [E("apache", '"Licensor" shall mean', "that is granting the License.")],
    ["who", "paraphrase"],
)
A(
    "How can a copyright owner flag a communication so it isn't treated as a contribution under Apache 2.0?",
    ["Not a Contribution", "conspicuously marked or otherwise designated in writing"],
    [E("apache", 'For the purposes of this definition, "submitted"', 'as "Not a Contribution."')],
    ["how", "paraphrase"],
)
A(
    "Apache 2.0: if I sue claiming the Work infringes my patent, when do my patent licenses end?",
    ["as of the date such litigation is filed"],
    [
        E(
            "apache",
            "If You\n      institute patent litigation",
            "as of the date such litigation is filed.",
        )
    ],
    ["when", "lexical"],
)
A(
    "What must modified files carry when redistributing under Apache 2.0?",
    ["prominent notices stating that You changed the files", "prominent notices"],
    [E("apache", "You must cause any modified files", "You changed the files; and")],
    ["what", "lexical"],
)
A(
    "What purpose do the contents of the NOTICE file serve?",
    ["informational purposes only"],
    [E("apache", "The contents\n          of the NOTICE file", "do not modify the License.")],
    ["what", "lexical"],
)
A(
    "Does Apache 2.0 let me use the licensor's trade names and trademarks?",
    [
        "does not grant permission to use the trade names, trademarks, service marks, or product names of the Licensor",
        "does not grant permission",
    ],
    [E("apache", "This License does not grant permission", "content of the NOTICE file.")],
    ["what", "lexical"],
)
A(
    "On what basis does the licensor provide the Work under Apache 2.0?",
    ["AS IS", "on an AS IS BASIS"],
    [
        E(
            "apache",
            "Unless required by applicable law or\n      agreed to in writing, Licensor provides",
            "PARTICULAR PURPOSE.",
        )
    ],
    ["how", "lexical"],
)
A(
    "What may a redistributor charge a fee for under Apache section 9?",
    ["acceptance of support, warranty, indemnity, or other liability obligations and/or rights"],
    [E("apache", "While redistributing\n      the Work", "consistent with this\n      License.")],
    ["what", "lexical"],
)
A(
    "Where can a copy of the Apache License 2.0 be obtained?",
    ["http://www.apache.org/licenses/LICENSE-2.0"],
    [E("apache", "You may obtain a copy of the License at", "licenses/LICENSE-2.0")],
    ["where", "lexical"],
)
A(
    "Which sections of the document make up the Apache 'License'?",
    ["Sections 1 through 9"],
    [E("apache", '"License" shall mean the terms', "Sections 1 through 9 of this document.")],
    ["number", "paraphrase"],
)
A(
    "When applying the Apache License, what replaces the fields in square brackets?",
    ["your own identifying information"],
    [
        E(
            "apache",
            "To apply the Apache License to your work, attach",
            "your own identifying information.",
        )
    ],
    ["what", "paraphrase"],
)

# MPL-2.0
A(
    "Which organisation looks after the MPL and its future versions?",
    ["Mozilla Foundation"],
    [E("mpl", "Mozilla Foundation is the license steward.")],
    ["who", "paraphrase"],
)
A(
    "Under MPL 2.0, if a contributor notifies you of non-compliance for the first time, how long do you have to fix it to get your grants back?",
    ["30 days", "prior to 30 days after Your receipt of the notice"],
    [E("mpl", "Moreover, Your grants from a particular", "Your receipt of the notice.")],
    ["number", "paraphrase"],
)
A(
    "MPL: within how many days after you come back into compliance must a contributor notify you, or your rights are reinstated on an ongoing basis?",
    ["60 days"],
    [E("mpl", "However, if You become\ncompliant", "come back into compliance.")],
    ["number", "lexical"],
)
A(
    "Which licenses count as Secondary Licenses under MPL 2.0?",
    [
        "the GNU General Public License, Version 2.0, the GNU Lesser General Public License, Version 2.1, the GNU Affero General Public License, Version 3.0, or any later versions of those licenses",
        "GNU General Public License",
    ],
    [E("mpl", '"Secondary License"\n    means either', "versions of those\n    licenses.")],
    ["what", "lexical"],
)
A(
    "In which courts can someone sue over the Mozilla licence?",
    [
        "the courts of a jurisdiction where the defendant maintains its principal place of business",
        "where the defendant maintains its principal place of business",
    ],
    [
        E(
            "mpl",
            "Any litigation relating to this License may be brought",
            "conflict-of-law provisions.",
        )
    ],
    ["where", "paraphrase"],
)
A(
    "When shipping an MPL binary, what's the most you can charge someone for getting the corresponding source?",
    ["no more than the cost of distribution to the recipient", "the cost of distribution"],
    [E("mpl", "such Covered Software must also be made available", "to the recipient; and")],
    ["how", "number", "paraphrase"],
)
A(
    "What kind of liability is not covered by the MPL's limitation of liability?",
    [
        "liability for death or personal injury resulting from such party's negligence",
        "death or personal injury",
    ],
    [E("mpl", "This\n*  limitation of liability shall not apply", "prohibits such limitation.")],
    ["what", "paraphrase"],
)
A(
    "What is Exhibit A of the MPL?",
    ["Source Code Form License Notice"],
    [E("mpl", "Exhibit A - Source Code Form License Notice")],
    ["what", "lexical"],
)
A(
    "From when are the MPL licenses for a contribution effective?",
    ["on the date the Contributor first distributes such Contribution"],
    [
        E(
            "mpl",
            "The licenses granted in Section 2.1 with respect",
            "first\ndistributes such Contribution.",
        )
    ],
    ["when", "lexical"],
)
A(
    "Under the MPL's definition of You, what share of outstanding shares amounts to control?",
    ["more than fifty percent (50%)"],
    [
        E(
            "mpl",
            'For\n    purposes of this definition, "control" means',
            "ownership of such entity.",
        )
    ],
    ["number", "lexical"],
)
A(
    "When may you change license notices contained in MPL source code?",
    [
        "to the extent required to remedy known factual inaccuracies",
        "to remedy known factual inaccuracies",
    ],
    [E("mpl", "You may not remove or alter the substance", "known factual inaccuracies.")],
    ["when", "lexical"],
)
A(
    "If statute stops you complying with the MPL, where must you describe the limitations?",
    ["in a text file included with all distributions of the Covered Software", "a text file"],
    [E("mpl", "Such description must\nbe placed in a text file", "Software under this License.")],
    ["where", "lexical"],
)
A(
    "How does the MPL define Executable Form?",
    ["any form of the work other than Source Code Form"],
    [E("mpl", '"Executable Form"\n    means any form', "other than Source Code Form.")],
    ["what", "lexical"],
)
A(
    "What must you do to make your own modified version of the MPL for non-MPL software?",
    ["rename the license and remove any references to the name of the license steward"],
    [
        E(
            "mpl",
            "If you create software not governed by this License",
            "differs from this License).",
        )
    ],
    ["how", "paraphrase"],
)

# CC0-1.0
A(
    "Who is the Affirmer in CC0?",
    ["the person associating CC0 with a Work"],
    [
        E(
            "cc0",
            "For these and/or other purposes and motivations",
            "legal effect of CC0 on those rights.",
        )
    ],
    ["who", "lexical"],
)
A(
    "Which EU directive on database protection is cited in CC0?",
    ["Directive 96/9/EC"],
    [E("cc0", "database rights (such as those arising", "directive); and")],
    ["what", "paraphrase"],
)
A(
    "date of the database directive mentioned in CC0",
    ["11 March 1996"],
    [E("cc0", "database rights (such as those arising", "directive); and")],
    ["when", "date", "lexical"],
)
A(
    "Which of the Affirmer's rights does CC0 leave untouched?",
    ["trademark or patent rights", "No trademark or patent rights"],
    [E("cc0", "No trademark or patent rights", "affected by this document.")],
    ["what", "paraphrase"],
)
A(
    "When does the CC0 fallback license take effect?",
    ["as of the date CC0 was applied by Affirmer to the Work"],
    [E("cc0", "The License shall be deemed effective", "Affirmer to the Work.")],
    ["when", "lexical"],
)
A(
    "What does Creative Commons say it doesn't provide?",
    ["LEGAL SERVICES"],
    [E("cc0", "CREATIVE COMMONS CORPORATION IS NOT A LAW FIRM", "LEGAL SERVICES.")],
    ["what", "lexical"],
)
A(
    "Which organisation says it is not a party to the CC0 document?",
    ["Creative Commons"],
    [E("cc0", "Affirmer understands and acknowledges", "or use of the Work.")],
    ["who", "paraphrase"],
)
A(
    "Why might owners choose to give their works to the Commons?",
    [
        "to promote the ideal of a free culture",
        "to gain reputation or greater distribution for their Work",
    ],
    [E("cc0", "These owners may contribute to the Commons", "use and efforts of others.")],
    ["why", "paraphrase"],
)
A(
    "If the CC0 waiver is held invalid, what kind of license does the Affirmer grant instead?",
    [
        "a royalty-free, non transferable, non sublicensable, non exclusive, irrevocable and unconditional license",
        "royalty-free",
    ],
    [E("cc0", "Should any part of the Waiver for any reason", '"License").')],
    ["what", "multi-sentence", "paraphrase"],
)

# Artistic
A(
    "What is a reasonable copying fee under the Artistic License?",
    [
        "whatever you can justify on the basis of media cost, duplication charges, time of people involved, and so on",
        "whatever you can justify",
    ],
    [E("art", '"Reasonable copying fee" is whatever', "and so on.")],
    ["what", "lexical"],
)
A(
    "What can you not charge a fee for under the Artistic License?",
    ["this Package itself"],
    [E("art", "You may not charge a fee for this Package itself.")],
    ["what", "lexical"],
)
A(
    "Where could you post your modifications to make them freely available, per the Artistic License?",
    ["Usenet", "uunet.uu.net"],
    [
        E(
            "art",
            "place your modifications in the Public Domain",
            "in the Standard Version of the Package.",
        )
    ],
    ["where", "lexical"],
)
A(
    "Which methods of producing a binary executable image are named in the Artistic License?",
    ["undump", "unexec"],
    [
        E(
            "art",
            "If such scripts or library files are aggregated",
            "Standard Version of this\nPackage.",
        )
    ],
    ["what", "lexical"],
)
A(
    "What do you need before using the copyright holder's name to promote products built from the software?",
    ["specific prior written permission"],
    [E("art", "The name of the Copyright Holder may not", "written permission.")],
    ["what", "lexical"],
)
A(
    "Who owns scripts fed into or generated by the Package's programs?",
    ["whoever generated them"],
    [E("art", "The scripts and library files supplied", "aggregated with this\nPackage.")],
    ["who", "paraphrase"],
)
A(
    "Why was the Artistic License written?",
    ["to state the conditions under which a Package may be copied"],
    [E("art", "The intent of this document is to state", "reasonable modifications.")],
    ["why", "paraphrase"],
)
A(
    "Under option b) of clause 3, where may the modified Package be used?",
    ["only within your corporation or organization", "within your corporation or organization"],
    [E("art", "use the modified Package only within", "corporation or organization.")],
    ["where", "lexical"],
)

A(
    "If I apply bug fixes obtained from the Copyright Holder, what is my modified Package still considered?",
    ["the Standard Version", "Standard Version"],
    [E("art", "You may apply bug fixes, portability fixes", "considered the Standard Version.")],
    ["what", "multi-sentence", "lexical"],
)

# unanswerable licence questions
U("Which jurisdiction's law governs the Apache License 2.0?", OM + ["where"])
U("What governing law applies to the Artistic License?", OM + ["what"])
U("When was the Artistic License published?", OM + ["when", "date"])
U("Who wrote the Artistic License?", OM + ["who"])
U("On what date was MPL 2.0 released?", OM + ["when", "date"])
U("When was CC0 1.0 published?", OM + ["when", "date"])
U("Is Apache 2.0 compatible with GPL version 3?", OM + ["what"])
U(
    "How many days does Apache 2.0 give you to cure a breach before your license terminates?",
    OM + ["number"],
)
U("What is the maximum fine for violating the Artistic License?", OM + ["number"])
U("Where is Creative Commons Corporation incorporated?", OM + ["where"])
U(
    "What email address should contributions to an Apache-licensed project be sent to?",
    OM + ["what"],
)
U("Who is the license steward of CC0?", OM + ["who"])
U("Which version number of the Artistic License is this text?", OM + ["number"])
U("At what web address is the CC0 1.0 legal code published?", OM + ["where"])
U("What's the best pizza topping?", OT + ["what"])


# ------------------------------------------------------------- assemble ---
def assign_splits(items):
    """Alternate dev/test, but pick the split that keeps every tag balanced."""
    cnt = {}
    prev = "test"
    for it in items:
        scores = {}
        for s in ("dev", "test"):
            o = "test" if s == "dev" else "dev"
            sc = 0
            for t in it["tags"] + ["_all"]:
                d = cnt.get((t, s), 0) + 1 - cnt.get((t, o), 0)
                sc += abs(d) - abs(d - 1)
            scores[s] = sc
        if scores["dev"] == scores["test"]:
            s = "dev" if prev == "test" else "test"
        else:
            s = min(scores, key=scores.get)
        it["split"] = s
        prev = s
        for t in it["tags"] + ["_all"]:
            cnt[(t, s)] = cnt.get((t, s), 0) + 1


def _imbalance(items):
    c = {}
    for it in items:
        for t in it["tags"]:
            c.setdefault(t, [0, 0])[it["split"] == "test"] += 1
    return sum(abs(a - b) for a, b in c.values())


def _split(items):
    import random

    best = None
    for seed in range(300):  # mix files / (un)answerable; keep the
        cand = [dict(it) for it in items]  # ordering whose greedy split
        random.Random(seed).shuffle(cand)  # is most even across tags
        assign_splits(cand)
        score = _imbalance(cand)
        if best is None or score < best[0]:
            best = (score, cand)
    return best[1] if best else []


def write(name, prefix, items, more=()):
    """The first batch keeps its split and ids; a later batch (``more``) is split on its own,
    balanced the same way, and appended with the next ids, so earlier lines never move."""
    items = _split(items) + _split(list(more))
    order = [
        "who",
        "what",
        "when",
        "where",
        "why",
        "how",
        "number",
        "date",
        "paraphrase",
        "lexical",
        "duplicate",
        "multi-sentence",
        "unanswerable",
        "offtopic",
        "ontopic-missing",
    ]
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as fh:
        for i, it in enumerate(items, 1):
            it["tags"] = sorted(set(it["tags"]), key=order.index)
            rec = {
                "id": f"{prefix}{i:03d}",
                "question": it["question"],
                "answerable": it["answerable"],
                "answers": it["answers"],
                "evidence": it["evidence"],
                "tags": it["tags"],
                "split": it["split"],
            }
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"wrote {name}: {len(items)} questions")


# Later batches of questions, written the same way (from the text, never from system output),
# live in their own files; they set _cur to "seeds_more" / "licenses_more".
for _part in ("more_seeds.py", "more_licenses.py"):
    _path = os.path.join(HERE, _part)
    if os.path.exists(_path):
        with open(_path, encoding="utf-8") as _fh:
            exec(compile(_fh.read(), _path, "exec"), globals())

write("seeds.jsonl", "s", QS["seeds"], QS["seeds_more"])
write("licenses.jsonl", "l", QS["licenses"], QS["licenses_more"])
