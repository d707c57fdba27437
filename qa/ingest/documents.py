"""The parsed documents stored with a build (``documents.jsonl``), and the texts citations are
checked against.

One JSON line per readable source, in corpus order: its text (for .txt the decoded file, for
other formats the extracted text every offset points into), paragraphs (offsets, chrome, page,
heading path), sentences (offsets) and, from a local build, the MinHash signatures of its
paragraphs (``qa.ingest.dedupe``). The manifest records each source's line as ``document: [offset,
length]``. A refresh rebuilds unchanged sources from their line instead of reading and parsing
the file again, and copies the line as it is into the new build.

``SourceTexts`` is what answering reads: a source's text (a .txt file is read from the corpus
folder, as the file is now, so a citation is checked against the file; another format's text
comes from its line here), and where a paragraph stands in the original (page, headings).
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from qa.core.errors import IndexCorrupt, NotFound
from qa.core.types import Document, Paragraph, Sentence
from qa.ingest.corpus import decode
from qa.ingest.dedupe import BANDS, NUM_PERM, Signatures
from qa.ingest.formats import format_of


class Record(msgspec.Struct, frozen=True):
    source: str
    format: str
    text: str
    # [start, end, chrome, page or null, heading path]
    paragraphs: list[tuple[int, int, bool, int | None, list[str]]]
    sentences: list[tuple[int, int, int]]  # [paragraph, start, end]
    signed: list[int] | None = None  # paragraphs with signatures (numbers), None: not stored
    sizes: list[int] = []
    bands: bytes = b""
    minhashes: bytes = b""


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Record)


def record_line(doc: Document, sig: Signatures | None) -> bytes:
    paragraphs = [(p.start, p.end, p.chrome, p.page, list(p.headings)) for p in doc.paragraphs]
    sentences = [(s.paragraph, s.start, s.end) for s in doc.sentences]
    record = Record(doc.source, format_of(doc.source) or "txt", doc.text, paragraphs, sentences)
    if sig is not None:
        record = msgspec.structs.replace(
            record,
            signed=[number for _, number in sig.keys],
            sizes=list(sig.sizes),
            bands=np.ascontiguousarray(sig.bands, dtype=np.uint64).tobytes(),
            minhashes=np.ascontiguousarray(sig.minhashes, dtype=np.uint32).tobytes(),
        )
    return _ENCODER.encode(record) + b"\n"


def decode_record(line: bytes) -> Record:
    try:
        return _DECODER.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise IndexCorrupt(f"a stored document cannot be read ({exc})") from exc


def paragraphs_of(record: Record) -> tuple[Paragraph, ...]:
    return tuple(
        Paragraph(
            record.source,
            i,
            start,
            end,
            record.text[start:end],
            chrome,
            page,
            tuple(headings),
        )
        for i, (start, end, chrome, page, headings) in enumerate(record.paragraphs, start=1)
    )


def document_of_record(record: Record) -> Document:
    text = record.text
    sentences = tuple(
        Sentence(record.source, number, start, end, text[start:end])
        for number, start, end in record.sentences
    )
    return Document(record.source, text, paragraphs_of(record), sentences)


def signatures_of_record(record: Record) -> Signatures | None:
    """The stored signatures, or None when the build did not store them (a Ray build)."""
    if record.signed is None:
        return None
    n = len(record.signed)
    return Signatures(
        tuple((record.source, number) for number in record.signed),
        tuple(record.sizes),
        np.frombuffer(record.bands, dtype=np.uint64).reshape(n, BANDS),
        np.frombuffer(record.minhashes, dtype=np.uint32).reshape(n, NUM_PERM),
    )


def write_documents(path: Path, lines: Sequence[bytes]) -> list[tuple[int, int]]:
    """Write the lines; returns each one's [offset, length]."""
    spans = []
    at = 0
    with path.open("wb") as fh:
        for line in lines:
            fh.write(line)
            spans.append((at, len(line)))
            at += len(line)
    return spans


class DocumentsFile:
    """documents.jsonl of a build, memory-mapped; a line is read by its [offset, length]."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: mmap.mmap | bytes = b""
        if path.is_file() and path.stat().st_size:
            with path.open("rb") as fh:
                self._data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)

    def line(self, span: Sequence[int]) -> bytes:
        offset, length = int(span[0]), int(span[1])
        if offset < 0 or length <= 0 or offset + length > len(self._data):
            raise IndexCorrupt(f"a stored document lies outside {self.path}")
        return bytes(self._data[offset : offset + length])

    def record(self, span: Sequence[int]) -> Record:
        return decode_record(self.line(span))


class SourceTexts(Mapping[str, str]):
    """The text of each source that has passages, read on first use and kept, so opening an
    index of thousands of files reads none of them until a citation needs one: a .txt file
    from the corpus folder, another format's extracted text from the build."""

    def __init__(
        self,
        corpus: Path,
        sources: Sequence[str],
        documents: DocumentsFile | None = None,
        entries: Mapping[str, Any] | None = None,
    ) -> None:
        self._corpus = corpus
        self._sources = frozenset(sources)
        self._documents = documents
        self._entries = entries or {}
        self._texts: dict[str, str | None] = {}
        self._records: dict[str, Record | None] = {}

    def _record(self, name: str) -> Record | None:
        if name not in self._records:
            span = self._entries.get(name, {}).get("document")
            self._records[name] = self._documents.record(span) if self._documents and span else None
        return self._records[name]

    def __getitem__(self, name: str) -> str:
        if name not in self._sources:
            raise KeyError(name)
        if name not in self._texts:
            if (format_of(name) or "txt") == "txt":
                self._texts[name] = decode(self._corpus / name)
            else:
                record = self._record(name)
                self._texts[name] = record.text if record else None
        text = self._texts[name]
        if text is None:
            raise KeyError(name)
        return text

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._sources and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._sources))

    def __len__(self) -> int:
        return len(self._sources)

    def paragraphs(self, name: str) -> tuple[Paragraph, ...]:
        """The paragraphs of a source, as the build counted them (NotFound for other names)."""
        text = self.get(name)
        if text is None:
            raise NotFound(f"no source named {name!r} in this corpus")
        if (format_of(name) or "txt") == "txt":
            from qa.ingest.corpus import split_paragraphs

            return tuple(split_paragraphs(name, text))
        record = self._record(name)
        return paragraphs_of(record) if record else ()

    def locate(self, name: str, number: int) -> tuple[int | None, tuple[str, ...]]:
        """The page and heading path of paragraph ``number`` of a source ((None, ()) for .txt
        and unknown paragraphs)."""
        if (format_of(name) or "txt") == "txt" or name not in self._sources:
            return None, ()
        record = self._record(name)
        if record is None or not 1 <= number <= len(record.paragraphs):
            return None, ()
        _, _, _, page, headings = record.paragraphs[number - 1]
        return page, tuple(headings)
