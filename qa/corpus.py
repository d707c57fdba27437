"""Files → paragraphs → sentences, with offsets into the original file (near-duplicate
paragraphs across files: qa.dedupe).

Paragraph rule (documented in the README):
  * Lines are grouped into blocks separated by blank lines.
  * A file is *hard-wrapped* when 95% of its non-blank lines are at most WRAP_WIDTH characters
    and at least one block has several lines. In such a file a block is one paragraph — its
    lines join — unless every line of it ends a sentence (then each line is one).
  * Otherwise every non-blank line is a paragraph (one paragraph per line, as in most
    scraped news).
  * Paragraphs are numbered 1, 2, 3 … in file order, as a reader counts them, including
    paragraphs later classified as page chrome. Offsets are Python str indices into the
    UTF-8-decoded file, so ``file_text[start:end]`` is always the verbatim text.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import sentencex

from qa.errors import CorpusError
from qa.text import terms, words
from qa.types import Document, Paragraph, Sentence

log = logging.getLogger("qa")

WRAP_WIDTH = 100
_LINE_END = re.compile(r"[.!?…:][\"'”’)\]]*$")
MAX_FILE_BYTES = 50_000_000


# ---------------------------------------------------------------- reading files


def list_sources(folder: Path, warn: bool = False) -> list[Path]:
    """The corpus files: top-level ``*.txt`` regular files, symlinks only inside the folder.
    With ``warn``, each file left out is reported once (the indexer asks; quick checks don't)."""
    if not folder.exists():
        raise CorpusError(f"corpus folder {folder} does not exist — pass --corpus DIR")
    if not folder.is_dir():
        raise CorpusError(f"corpus {folder} is not a folder — pass --corpus DIR")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise CorpusError(f"corpus folder {folder} is not readable")
    root = folder.resolve()
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".txt":
            continue
        real = path.resolve()
        if path.is_symlink() and not real.exists():
            if warn:
                log.warning("skipping %s: broken symlink", path.name)
            continue
        if path.is_symlink() and real.parent != root and root not in real.parents:
            if warn:
                log.warning("skipping %s: symlink points outside the corpus", path.name)
            continue
        if real.is_file():
            found.append(path)
        elif warn:
            log.warning("skipping %s: not a regular file", path.name)
    if not found:
        raise CorpusError(f"no .txt files in {folder} — pass --corpus DIR")
    return found


def decode(path: Path) -> str | None:
    """The file's text, or None (with a warning) when it is empty, binary or not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.warning("skipping %s: cannot read it (%s)", path.name, exc.strerror)
        return None
    if len(data) > MAX_FILE_BYTES:
        log.warning("skipping %s: larger than %d bytes", path.name, MAX_FILE_BYTES)
        return None
    if b"\x00" in data:
        log.warning("skipping %s: binary file", path.name)
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("skipping %s: not UTF-8", path.name)
        return None
    if not text.strip():
        log.warning("skipping %s: empty file", path.name)
        return None
    return text


def load_corpus(folder: Path) -> list[Document]:
    docs = []
    for path in list_sources(folder, warn=True):
        text = decode(path)
        if text is not None:
            docs.append(parse_document(path.name, text))
    if not docs:
        raise CorpusError(f"no readable UTF-8 .txt files in {folder} — pass --corpus DIR")
    return docs


def parse_document(source: str, text: str) -> Document:
    paragraphs = mark_chrome(split_paragraphs(source, text))
    sentences = tuple(s for p in paragraphs if not p.chrome for s in split_sentences(p))
    return Document(source=source, text=text, paragraphs=tuple(paragraphs), sentences=sentences)


# ---------------------------------------------------------------- paragraphs


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line's content, line breaks excluded."""
    spans, pos = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        spans.append((pos, pos + len(body)))
        pos += len(line)
    return spans


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] == "\ufeff"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_paragraphs(source: str, text: str) -> list[Paragraph]:
    blocks: list[list[tuple[int, int]]] = [[]]
    for start, end in _lines(text):
        if text[start:end].strip():
            blocks[-1].append((start, end))
        elif blocks[-1]:
            blocks.append([])
    blocks = [b for b in blocks if b]
    lengths = sorted(len(text[s:e].strip()) for b in blocks for s, e in b)
    width = lengths[min(len(lengths) - 1, int(0.95 * len(lengths)))] if lengths else 0
    wrapped = width <= WRAP_WIDTH and any(len(b) > 1 for b in blocks)

    spans: list[tuple[int, int]] = []
    for block in blocks:
        inner = [text[s:e].strip() for s, e in block[:-1]]
        # wrapping breaks lines mid-sentence; a block whose every line ends a sentence is a
        # run of one-line paragraphs, however evenly long its lines are
        mid_sentence = any(not _LINE_END.search(line) for line in inner)
        if wrapped and mid_sentence:
            spans.append(_strip_span(text, block[0][0], block[-1][1]))
        else:
            spans.extend(_strip_span(text, s, e) for s, e in block)
    return [
        Paragraph(source=source, number=i, start=s, end=e, text=text[s:e])
        for i, (s, e) in enumerate(spans, start=1)
    ]


# ---------------------------------------------------------------- sentences


# A wrapped line that starts a list item: "(a) ", "a) ", "iv. ", "2.1. ", "- ", "* ", "• ".
_ITEM = re.compile(
    r"(?<=[\r\n\x0b\x0c\u2028\u2029\x85])[ \t]*"
    r"(?=(?:\(?(?:[a-z]|x{0,3}(?:ix|iv|v?i{1,3}|v)|x{1,3}|\d{1,3}(?:\.\d{1,3})*)[.)]|[-*•])[ \t])"
)

_LABEL = re.compile(r"\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-zA-Z]|[ivxIVX]{1,5})[.)]")


def split_sentences(paragraph: Paragraph) -> list[Sentence]:
    """Sentences by sentencex, aligned back to exact offsets in the file; in a wrapped
    paragraph a line that starts a list item also starts a sentence."""
    # Line breaks inside a wrapped paragraph become spaces of the same length, so offsets hold.
    flat = re.sub(r"[\r\n\x0b\x0c\u2028\u2029\x85]", " ", paragraph.text)
    items = [m.end() for m in _ITEM.finditer(paragraph.text)]
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in sentencex.segment("en", flat):
        piece = piece.strip()
        if not piece:
            continue
        at = flat.find(piece, cursor)
        if at < 0:  # the segmenter altered the text: keep the rest as one sentence
            break
        spans.append((at, at + len(piece)))
        cursor = at + len(piece)
    rest = _strip_span(flat, cursor, len(flat))
    if rest[1] > rest[0]:
        spans.append(rest)
    pieces: list[tuple[int, int]] = []
    for start, end in spans:
        cuts = [start, *(i for i in items if start < i < end), end]
        for lo, hi in pairwise(cuts):
            lo, hi = _strip_span(flat, lo, hi)
            if hi > lo:
                pieces.append((lo, hi))
    # a bare section or item number ("1.", "2.1.", "(a)") belongs to the sentence after it
    merged: list[tuple[int, int]] = []
    for lo, hi in pieces:
        if merged and _LABEL.fullmatch(flat[merged[-1][0] : merged[-1][1]]):
            lo = merged.pop()[0]
        merged.append((lo, hi))
    return [_sentence(paragraph, lo, hi) for lo, hi in merged]


def _sentence(p: Paragraph, start: int, end: int) -> Sentence:
    return Sentence(p.source, p.number, p.start + start, p.start + end, p.text[start:end])


# ---------------------------------------------------------------- page chrome

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
