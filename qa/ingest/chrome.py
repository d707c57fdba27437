"""Page chrome: the menus, bylines, prices, calls to action and footers a saved page carries
around its article. ``mark_chrome`` flags a leading and a trailing zone of chrome-like paragraphs
(no sentence structure, a bullet, a price, a call to action) when the zone holds an unmistakable
sign of chrome, extended over neighbours that share little vocabulary with the body, plus hard
chrome anywhere. A chrome paragraph stays numbered (paragraph numbers are a reader's count) but
gives no sentences to answer from."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from qa.core.text import terms, words
from qa.core.types import Paragraph

_BULLET = re.compile(r"^\s*[•·▪▫‣◦●○■□➢➤►▶✓✔*]\s")
_PRICE = re.compile(r"[$€£¥₹]\s?\d|\d\s?(?:usd|eur|gbp)\b|/\s?(?:month|mo|year|yr|week)\b")
# Generic web calls to action: the vocabulary of subscription, account and sharing widgets.
_CTA = re.compile(
    r"\b(?:subscribe|subscription|sign (?:in|up)|log ?in|newsletters?|free trial|membership|"
    r"unsubscribe|cookies?|privacy policy|terms of (?:use|service)|advertisement|follow us|"
    r"share (?:this|on)|read more|click here|download (?:our|the) app|inbox|skip to)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$|[\"”’]$")
COHESION_MIN = 0.25
PRICE_WORDS = 12  # a paragraph with a price is chrome below this many words
CTA_WORDS = 40  # … with a call to action
SHORT_SHARE = 0.4  # of the body's median paragraph length, in words


def _chrome_like(p: Paragraph) -> bool:
    """No sentence structure, a list bullet, a price or a call to action."""
    n = len(words(p.text))
    if _BULLET.match(p.text) or _hard_chrome(p):
        return True
    ends = bool(_SENTENCE_END.search(p.text.rstrip()))
    return n < 4 or (not ends and n < 8)


def _hard_chrome(p: Paragraph) -> bool:
    """Chrome wherever it stands: a short paragraph with a price or a call to action (a
    sentence of an article may mention money or a newsletter; a price tag or a button is short)."""
    n = len(words(p.text))
    return (bool(_PRICE.search(p.text.lower())) and n < PRICE_WORDS) or (
        bool(_CTA.search(p.text)) and n < CTA_WORDS
    )


def _chrome_sign(p: Paragraph) -> bool:
    """An unmistakable sign of page chrome: hard chrome or a list bullet."""
    return _hard_chrome(p) or bool(_BULLET.match(p.text))


def _body(scores: list[int]) -> tuple[int, int]:
    """The contiguous run [h, t) with the largest score sum (content +1, chrome-like -1):
    the split into leading chrome, body, trailing chrome that agrees best with the labels.
    Ties go to the longer body."""
    best, best_h, best_t = 0, 0, 0
    prefix, low, low_at = 0, 0, 0
    for t, s in enumerate(scores, start=1):
        prefix += s
        gain = prefix - low
        if gain > best or (gain == best and t - low_at > best_t - best_h):
            best, best_h, best_t = gain, low_at, t
        if prefix < low:
            low, low_at = prefix, t
    return best_h, best_t


def _cohesion(p: Paragraph, body_terms: Counter[str]) -> float:
    """Share of the paragraph's terms that occur elsewhere in the document's body."""
    own = Counter(terms(p.text))
    if not own:
        return 0.0
    shared = sum(1 for t, c in own.items() if body_terms[t] - c > 0)
    return shared / len(own)


def mark_chrome(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Flag page chrome: a leading and a trailing zone dominated by chrome-like paragraphs
    (the split that best separates them from the body) when the zone holds an unmistakable
    sign of chrome (a call to action, a price, a list bullet), extended over neighbours that
    share little vocabulary with the article body; plus hard chrome anywhere."""
    if not paragraphs:
        return paragraphs
    like = [_chrome_like(p) for p in paragraphs]
    hard = [_hard_chrome(p) or not words(p.text) for p in paragraphs]
    head, tail = _body([-1 if c else 1 for c in like])
    if tail <= head:  # nothing but chrome-like lines: keep the text rather than lose it
        head, tail = 0, len(paragraphs)
    sign = [_chrome_sign(p) for p in paragraphs]
    if not any(sign[:head]):
        head = 0
    if not any(sign[tail:]):
        tail = len(paragraphs)
    body = [p for p, c in zip(paragraphs[head:tail], like[head:tail], strict=True) if not c]
    body_terms: Counter[str] = Counter(t for p in body for t in terms(p.text))
    lengths = sorted(len(words(p.text)) for p in body)
    short = SHORT_SHARE * lengths[len(lengths) // 2] if lengths else 0.0

    def foreign(p: Paragraph) -> bool:  # shares little vocabulary with the body
        return _cohesion(p, body_terms) < COHESION_MIN

    # A trailing zone also takes the short lines before it (sign-offs, teasers); a leading zone
    # does not, since headlines and standfirsts are short but belong to the article.
    if tail < len(paragraphs):
        while tail - 1 > head and (
            len(words(paragraphs[tail - 1].text)) < short or foreign(paragraphs[tail - 1])
        ):
            tail -= 1
    if head > 0:
        while head < tail - 1 and foreign(paragraphs[head]):
            head += 1
    return [replace(p, chrome=i < head or i >= tail or hard[i]) for i, p in enumerate(paragraphs)]
