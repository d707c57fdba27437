"""Files → paragraphs → sentences, with offsets into the original file (near-duplicate
paragraphs across files: qa.ingest.dedupe).

The corpus is every .txt, .md/.markdown, .html/.htm, .pdf and .docx file under the folder
(``scan``). Other formats become text through ``qa.ingest.formats`` (paragraphs follow the
document's own structure); a .txt file is its own text, with the paragraph rule below.

Paragraph rule for .txt (documented in docs/formats.md):
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
import stat
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import sentencex

from qa.core.errors import CorpusError
from qa.core.types import Document, Paragraph, Sentence
from qa.ingest.chrome import mark_chrome
from qa.ingest.formats import Convert, Unreadable, extract, format_of

log = logging.getLogger("qa")

WRAP_WIDTH = 100
_LINE_END = re.compile(r"[.!?…:][\"'”’)\]]*$")
MAX_FILE_BYTES = 50_000_000


# ---------------------------------------------------------------- reading files

SUPPORTED = ".txt, .md, .html, .pdf or .docx"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A corpus file as the walk found it: its name relative to the corpus folder ("/"
    separators), its path, and the size and modification time that say whether it changed."""

    source: str
    path: Path
    size: int
    mtime_ns: int

    @property
    def format(self) -> str:
        return format_of(self.source) or "txt"


def _check_folder(folder: Path) -> None:
    if not folder.exists():
        raise CorpusError(f"corpus folder {folder} does not exist — pass --corpus DIR")
    if not folder.is_dir():
        raise CorpusError(f"corpus {folder} is not a folder — pass --corpus DIR")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise CorpusError(f"corpus folder {folder} is not readable")


def scan(folder: Path, warn: bool = False) -> list[SourceFile]:
    """The corpus files (see ``walk``). With ``warn``, each file left out is reported once (the
    indexer asks; quick checks don't)."""
    found, left_out = walk(folder)
    if warn:
        for name, why in left_out:
            log.warning("skipping %s: %s", name, why)
    return found


def walk(folder: Path) -> tuple[list[SourceFile], list[tuple[str, str]]]:
    """The corpus files, found in one walk: regular files with a supported suffix anywhere
    under the folder (hidden folders skipped, symlinked folders not followed, a symlinked file
    kept only when it points inside the folder), sorted by relative name; and the files left
    out, each with why."""
    _check_folder(folder)
    root = folder.resolve()
    found: list[SourceFile] = []
    left_out: list[tuple[str, str]] = []

    def skip(name: str, why: str) -> None:
        left_out.append((name, why))

    def visit(here: Path, prefix: str) -> None:
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError as exc:
            skip(prefix or ".", f"cannot list it ({exc.strerror})")
            return
        for entry in entries:
            name = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    visit(Path(entry.path), name + "/")
                continue
            if format_of(entry.name) is None:
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                real = path.resolve()
                if not real.exists():
                    skip(name, "broken symlink")
                    continue
                if root not in real.parents:
                    skip(name, "symlink points outside the corpus")
                    continue
            try:
                st = path.stat()
            except OSError as exc:
                skip(name, f"cannot read it ({exc.strerror})")
                continue
            if not stat.S_ISREG(st.st_mode):
                skip(name, "not a regular file")
                continue
            found.append(SourceFile(name, path, st.st_size, st.st_mtime_ns))

    visit(folder, "")
    found.sort(key=lambda f: f.source)
    if not found:
        raise CorpusError(f"no {SUPPORTED} files in {folder} — pass --corpus DIR")
    return found, left_out


def list_sources(folder: Path, warn: bool = False) -> list[Path]:
    """The paths of the corpus files (see ``scan``)."""
    return [f.path for f in scan(folder, warn)]


def read_bytes(path: Path, name: str) -> bytes | None:
    """The file's bytes, or None (with a warning) when it cannot be read or is too large."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        log.warning("skipping %s: cannot read it (%s)", name, exc.strerror)
        return None
    if len(data) > MAX_FILE_BYTES:
        log.warning("skipping %s: larger than %d bytes", name, MAX_FILE_BYTES)
        return None
    return data


def decode_text(name: str, data: bytes) -> str | None:
    """A .txt file's text, or None (with a warning) when it is empty, binary or not UTF-8."""
    if b"\x00" in data:
        log.warning("skipping %s: binary file", name)
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("skipping %s: not UTF-8", name)
        return None
    if not text.strip():
        log.warning("skipping %s: empty file", name)
        return None
    return text


def decode(path: Path) -> str | None:
    """A .txt file's text, or None (with a warning) when it is empty, binary or not UTF-8."""
    data = read_bytes(path, path.name)
    return None if data is None else decode_text(path.name, data)


def document_of(source: str, data: bytes, convert: Convert | None = None) -> Document | None:
    """The document of a corpus file's bytes, in its format; None (with one warning naming the
    file and why) when it cannot be read. ``convert``: where formats other than .txt are
    converted (``qa.ingest.formats.extract``)."""
    fmt = format_of(source) or "txt"
    if fmt == "txt":
        text = decode_text(source, data)
        return None if text is None else parse_document(source, text)
    if not data.strip():
        log.warning("skipping %s: empty file", source)
        return None
    try:
        text, paragraphs = extract(source, fmt, data, convert)
    except Unreadable as exc:
        log.warning("skipping %s: %s", source, exc)
        return None
    return document_from(source, text, paragraphs)


def load_corpus(folder: Path) -> list[Document]:
    docs = []
    for f in scan(folder, warn=True):
        data = read_bytes(f.path, f.source)
        doc = document_of(f.source, data) if data is not None else None
        if doc is not None:
            docs.append(doc)
    if not docs:
        raise CorpusError(f"no readable {SUPPORTED} files in {folder} — pass --corpus DIR")
    return docs


def parse_document(source: str, text: str) -> Document:
    """A .txt file's document: the plain-text paragraph rules below."""
    return document_from(source, text, split_paragraphs(source, text))


def document_from(source: str, text: str, paragraphs: list[Paragraph]) -> Document:
    marked = mark_chrome(paragraphs)
    sentences = tuple(s for p in marked if not p.chrome for s in split_sentences(p))
    return Document(source=source, text=text, paragraphs=tuple(marked), sentences=sentences)


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
