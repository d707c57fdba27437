"""The cheap question and sentence features of preselection (`qa.answer.composer`): the kind of
thing a question asks for (who/when/how many…) and whether a sentence holds one, the question's
names, and the IDF-weighted coverage of its terms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from qa.core.text import WORD, normalize, terms

# ---------------------------------------------------------------- answer types

_MONTHS = frozenset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
_DAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
    hundred hundreds thousand thousands million millions billion billions dozen dozens half
    several""".split()
)
_YEAR = re.compile(r"1[5-9]\d\d|20\d\d")
_TYPES = (
    (
        "number",
        re.compile(
            r"^(how (many|much|old|long|far|large|big)|what (number|percentage|"
            r"proportion|share|amount)|number of)\b"
        ),
    ),
    (
        "date",
        re.compile(
            r"^(when|what (year|date|day|month|time)|which (year|date|day|month)|"
            r"since when|how long ago)\b"
        ),
    ),
    (
        "entity",
        re.compile(
            r"^(who|whom|whose|which (person|man|woman|group|groups|organi[sz]ation|"
            r"official|leader|faction|factions|party|country|agency|minister))\b"
        ),
    ),
    (
        "place",
        re.compile(
            r"^(where|which (city|town|village|country|province|region|area|place))"
            r"\b"
        ),
    ),
)


def question_type(question: str) -> str | None:
    q = normalize(question)
    q = re.sub(r"^(and|but|so|then|also|please|tell me|do you know)\s+", "", q)
    for name, pattern in _TYPES:
        if pattern.search(q):
            return name
    return None


def has_type(kind: str, sentence: str, all_words: Sequence[str], asked: set[str]) -> bool:
    """Does the sentence (its text and its words) hold something of the asked kind that the
    question (its words: ``asked``) does not already?"""
    toks = [w for w in all_words if w not in asked]
    if kind == "number":  # a count or amount, not the day or year of a date
        dated = {i for i, w in enumerate(all_words) if w in _MONTHS}
        counts = [
            w
            for i, w in enumerate(all_words)
            if w not in asked
            and (
                w in _NUMBER_WORDS
                or (
                    any(c.isdigit() for c in w)
                    and not _YEAR.fullmatch(w)
                    and not ({i - 1, i + 1} & dated)
                )
            )
        ]
        return bool(counts)
    if kind == "date":
        return any(w in _MONTHS or w in _DAYS or _YEAR.fullmatch(w) for w in toks)
    # entity / place: a capitalised word (not the sentence's first) the question lacks
    caps = re.findall(r"(?<=[\s(“\"'‘-])([A-Z][\w’'-]+)", sentence)
    return any(normalize(c) not in asked for c in caps)


def question_names(question: str) -> set[str]:
    """Stemmed terms of the question's names: its capitalised words, and the capitalised parts
    of hyphenated words ("al-Sharaa": "sharaa"; "Apache-licensed": "apach"), except a
    sentence's first word."""
    text = question.strip()
    found: set[str] = set()
    for m in WORD.finditer(text):
        before = text[: m.start()].rstrip()
        if not before or before.endswith((".", "!", "?")):
            continue
        for part in m.group().split("-"):
            if part[:1].isupper():
                found.update(terms(part))
    return found


def coverage(q_terms: Mapping[str, float], text_terms: AbstractSet[str]) -> float:
    total = sum(q_terms.values())
    return sum(w for t, w in q_terms.items() if t in text_terms) / total if total else 0.0
