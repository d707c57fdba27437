"""Conversations: turn a follow-up message into the standalone query that is searched.

No language model and no knowledge of the corpus, only the shape of the message. A message is a
follow-up when it leans on an earlier turn:

- it uses a pronoun with nothing to refer to inside the message ("who condemned it?");
- it opens with a connective ("and …", "but …", "what about …");
- it is too short to stand alone ("when?", "how many died?").

The *subject* of the previous standalone question — from its first name, number or determiner
after the question word to its end ("who led the 2014 Foo offensive?" → "the 2014 Foo
offensive"), or just the name in "what did Alice say about …?" — is then carried forward:

- a pronoun is replaced by it: "And who condemned it?" → "Who condemned the 2014 Foo offensive?";
- "what about X?" with a name X swaps X for the previous question's first name:
  "Where was Alice born?" + "What about Bob?" → "Where was Bob born?";
- otherwise it is appended in parentheses: "When?" → "When (the 2014 Foo offensive)?".

Earlier turns are resolved in order, so a chain of follow-ups keeps its subject. Deterministic:
the same conversation always gives the same query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import takewhile

from qa.core.text import STOPWORDS, WORD

QUESTION_WORDS = frozenset("who whom whose what which when where why how".split())
AUXILIARIES = frozenset(
    """is are was were am be been being do does did has have had can could will would shall
    should may might must""".split()
)
_DO = frozenset("do does did".split())
_BE = frozenset("is are was were be been being 's".split())
_DETERMINERS = frozenset("the a an".split())
_SUBJECT_PRONOUNS = frozenset("it they them he him she".split())
_POSSESSIVES = frozenset("its their his".split())
_DEMONSTRATIVES = frozenset("this that these those".split())
_FILLERS = frozenset("else exactly again please more really then".split())

_LEAD = re.compile(r"^(?:(?:and|but|so|also|then|okay|ok|well|now)\b[\s,;:]*)+", re.IGNORECASE)
_ABOUT = re.compile(r"^(?:(?:what|how)\s+about|what\s+of)\s+(?P<x>.*?)[\s?.!]*$", re.IGNORECASE)
_END = re.compile(r"[\s?.!]*$")
MAX_SUBJECT_WORDS = 12


@dataclass(frozen=True, slots=True)
class Rewrite:
    """The query to search, and why it differs from the message (None: it stands alone)."""

    query: str
    reason: str | None = None

    @property
    def follow_up(self) -> bool:
        return self.reason is not None


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.casefold().replace("’", "'")

    @property
    def named(self) -> bool:
        """Capitalised or holding a digit: part of a name, a date or a number."""
        return self.text[0].isupper() or any(c.isdigit() for c in self.text)


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(), m.start(), m.end()) for m in WORD.finditer(text)]


def _content(tokens: Sequence[_Token]) -> set[str]:
    skip = STOPWORDS | QUESTION_WORDS | AUXILIARIES | _FILLERS
    return {t.low for t in tokens if t.low not in skip}


def _tidy(text: str) -> str:
    return " ".join(text.split())


def _sentence(text: str) -> str:
    text = _tidy(text)
    return text[:1].upper() + text[1:]


def subject(question: str) -> str | None:
    """The part of a standalone question that a follow-up refers back to, or None."""
    toks = _tokens(question)
    start = next(
        (
            i
            for i, t in enumerate(toks)
            if (i > 0 or t.low not in STOPWORDS | QUESTION_WORDS | AUXILIARIES)
            and (t.low in _DETERMINERS or t.named)
            and t.low != "i"
        ),
        None,
    )
    if start is not None:
        span = toks[start : start + MAX_SUBJECT_WORDS]
        if start > 0 and toks[start - 1].low in _DO and toks[start].text[0].isupper():
            # "what did Alice say about …": the subject is the name before the verb
            span = list(takewhile(lambda t: t.text[0].isupper(), span))
        return _tidy(re.sub(r"[()]", " ", question[span[0].start : span[-1].end]))
    words = [t.text for t in toks[1:] if t.low in _content([t])][:MAX_SUBJECT_WORDS]
    return " ".join(words) or None


def _names(tokens: Sequence[_Token], text: str) -> list[tuple[int, int]]:
    """Character spans of runs of capitalised words (not the first word of the question)."""
    runs: list[tuple[int, int]] = []
    for i, t in enumerate(tokens):
        if i == 0 or not t.text[0].isupper() or t.low == "i":
            continue
        if runs and text[runs[-1][1] : t.start].strip() == "":
            runs[-1] = (runs[-1][0], t.end)
        else:
            runs.append((t.start, t.end))
    return runs


def _append(body: str, subj: str) -> str:
    core = _END.sub("", body)
    return f"{core} ({subj}){body[len(core) :].strip() or '?'}"


def _what_about(x: str, previous: str, subj: str) -> str:
    """The previous question about X instead: a name replaces the previous first name."""
    x_toks = _tokens(x)
    names = _names(_tokens(previous), previous)
    if x_toks and names and any(t.text[0].isupper() for t in x_toks):
        start, end = names[0]
        before = _tokens(previous[:start])
        if x_toks[0].low in _DETERMINERS and before and before[-1].low in _DETERMINERS:
            x = x[x_toks[1].start :] if len(x_toks) > 1 else x
        return _sentence(previous[:start] + x + previous[end:])
    return _sentence(_append(f"What about {x}?", subj))


def _pronoun(tokens: Sequence[_Token]) -> tuple[int, str] | None:
    """The first pronoun that needs an antecedent: (token index, how to replace it)."""
    for i, t in enumerate(tokens):
        prev = tokens[i - 1].low if i else None
        nxt = tokens[i + 1].low if i + 1 < len(tokens) else None
        if t.low in _SUBJECT_PRONOUNS:
            return i, "subject"
        if t.low in _POSSESSIVES:
            return i, "possessive"
        if t.low == "her":
            return i, "possessive" if nxt is not None and nxt not in STOPWORDS else "subject"
        if t.low in _DEMONSTRATIVES and (nxt is None or nxt in AUXILIARIES):
            return i, "subject"
        if t.low == "there" and prev not in _BE and nxt not in _BE:
            return i, "place"
    return None


def _demonstrative(tokens: Sequence[_Token]) -> bool:
    """'this attack', 'those people': a determiner pointing back at an earlier turn."""
    return any(
        t.low in _DEMONSTRATIVES and i + 1 < len(tokens) and tokens[i + 1].low not in STOPWORDS
        for i, t in enumerate(tokens)
    )


def _short(tokens: Sequence[_Token]) -> bool:
    return len(tokens) <= 3 and not any(t.named for t in tokens[1:])


def resolve(message: str, previous: str | None) -> Rewrite:
    """The standalone query for ``message``, given the previous turn's standalone query."""
    text = _tidy(message)
    subj = subject(previous) if previous else None
    if previous is None or subj is None:
        return Rewrite(text)
    body = _LEAD.sub("", text)
    lead = body != text
    if not _tokens(body):
        return Rewrite(previous, "connective") if lead else Rewrite(text)
    about = _ABOUT.match(body)
    if about and _tokens(about["x"]):
        return Rewrite(_what_about(about["x"], previous, subj), "what about")
    toks = _tokens(body)
    found = _pronoun(toks)
    if found is not None:
        i, kind = found
        t = toks[i]
        filler = {"subject": subj, "possessive": f"{subj}'s", "place": f"in {subj}"}[kind]
        query = body[: t.start] + filler + body[t.end :]
        return Rewrite(_sentence(query), f"pronoun {t.text!r}")
    short = _short(toks)
    if short and not any(t.low in QUESTION_WORDS for t in toks):
        return Rewrite(_what_about(_END.sub("", body), previous, subj), "what about")
    if not (lead or short or _demonstrative(toks)):
        return Rewrite(text)
    reason = "connective" if lead else "short" if short else "demonstrative"
    if _content(_tokens(subj)) <= _content(toks):
        return Rewrite(_sentence(body), reason)
    return Rewrite(_sentence(_append(body, subj)), reason)


def standalone_query(
    message: str, earlier: Sequence[str] = (), max_chars: int | None = None
) -> Rewrite:
    """Resolve ``message`` against the earlier user messages of a conversation (oldest first).

    Each earlier message is resolved against the one before it, so follow-ups can chain. A query
    longer than ``max_chars`` falls back to the message as typed.
    """
    previous: str | None = None
    for turn in earlier:
        if turn.strip():
            previous = resolve(turn, previous).query
    rewrite = resolve(message, previous)
    if max_chars is not None and len(rewrite.query) > max_chars:
        return Rewrite(_tidy(message))
    return rewrite
