"""Text normalisation and tokenising shared by indexing, retrieval and matching.

Matching always works on normalised text (NFKC, straight quotes, collapsed white space,
case-folded); what is shown and cited is always the verbatim file text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_QUOTES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "′": "'",
        "″": '"',
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
    }
)
_SPACE = re.compile(r"\s+")
# A word, in verbatim or normalised text: letters and digits, inner apostrophes (straight or
# curly) and hyphens kept.
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")

# A compact English stop-word list (function words only; no corpus vocabulary).
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    s t don shall may might must also did does whose upon""".split()
)


def normalize(text: str) -> str:
    """NFKC, straight quotes and dashes, collapsed white space, case-folded."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip().casefold()


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Normalised word tokens (letters and digits; inner apostrophes and hyphens kept)."""
    return WORD.findall(normalize(text))


def terms(text: str) -> list[str]:
    """Stemmed content terms: the unit of BM25 and of lexical overlap. A hyphenated word gives
    itself and its parts ("apache-licensed": "apache-licens", "apach", "licens")."""
    toks: list[str] = []
    for w in words(text):
        if w.endswith("'s"):  # a possessive: "assad's" is "assad"
            w = w[:-2]
        w = w.replace("'", "")
        parts = w.split("-") if "-" in w else []
        for t in (w, *parts):
            if t.endswith("s") and t[:-1] in STOPWORDS:
                continue
            if t in STOPWORDS or (len(t) < 2 and not t.isdigit()):
                continue
            toks.append(t)
    stems: list[str] = _stemmer().stemWords(toks)
    return stems
