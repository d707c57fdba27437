"""Frozen domain objects shared by every stage. Change them with dataclasses.replace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    """A [start, end) range of Python str indices into one decoded corpus file."""

    source: str
    paragraph: int
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True, slots=True)
class Sentence:
    source: str
    paragraph: int
    start: int
    end: int
    text: str  # verbatim file_text[start:end]
    also_in: tuple[Span, ...] = ()  # the same sentence in near-duplicate paragraphs


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph as a reader counts it (1-based), with its verbatim text and offsets."""

    source: str
    number: int
    start: int
    end: int
    text: str  # verbatim file_text[start:end]; may contain line breaks (hard-wrapped files)
    chrome: bool = False  # page chrome (navigation, subscription boilerplate): not indexed
    page: int | None = None  # 1-based page of the original (PDF)
    headings: tuple[str, ...] = ()  # heading path in the original (Markdown, HTML, Word)


@dataclass(frozen=True, slots=True)
class Document:
    source: str  # path relative to the corpus folder, with "/" separators
    text: str  # the whole decoded file (.txt) or the text extracted from it (other formats)
    paragraphs: tuple[Paragraph, ...]
    sentences: tuple[Sentence, ...]  # of the non-chrome paragraphs, in file order


@dataclass(frozen=True, slots=True)
class SourceView:
    """The text a source's citations point into, with its paragraphs (``qa show``)."""

    source: str
    format: str  # txt, md, html, pdf, docx
    text: str  # the file itself (.txt) or the text extracted from it
    paragraphs: tuple[Paragraph, ...]

    def to_dict(self) -> dict[str, Any]:
        paragraphs = []
        for p in self.paragraphs:
            row: dict[str, Any] = {"paragraph": p.number, "start": p.start, "end": p.end}
            if p.page is not None:
                row["page"] = p.page
            if p.headings:
                row["headings"] = list(p.headings)
            paragraphs.append(row)
        return {
            "source": self.source,
            "format": self.format,
            "text": self.text,
            "paragraphs": paragraphs,
        }


@dataclass(frozen=True, slots=True)
class Passage:
    """The retrieval unit: consecutive sentences of one paragraph, sized in tokens."""

    id: int
    source: str
    paragraph: int
    start: int
    end: int
    text: str
    sentences: tuple[Sentence, ...]
    also_in: tuple[Span, ...] = ()  # near-duplicate copies of this passage's paragraph


@dataclass(frozen=True, slots=True)
class Citation:
    """A verified quote: ``text[start:end] == quote`` in the source's text (the file itself for
    .txt, the text extracted from it otherwise); where a person finds it in the original: the
    PDF page, the heading path (Markdown, HTML, Word), a text-fragment link (HTML)."""

    source: str
    paragraph: int
    start: int
    end: int
    quote: str
    also_in: tuple[Span, ...] = ()
    page: int | None = None
    headings: tuple[str, ...] = ()
    link: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "also_in": [s.to_dict() for s in self.also_in],
        }
        if self.page is not None:
            out["page"] = self.page
        if self.headings:
            out["headings"] = list(self.headings)
        if self.link is not None:
            out["link"] = self.link
        return out


@dataclass(frozen=True, slots=True)
class ShortAnswer:
    """The exact words that answer, inside the first citation's quote:
    ``file_text[start:end] == text``, verified like every citation."""

    text: str
    source: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source, "start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    confidence: float
    citations: tuple[Citation, ...]
    related: tuple[Citation, ...]
    index_version: str
    rewritten_query: str | None = None
    short_answer: ShortAnswer | None = None  # null when abstained or not confident enough
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape shared by the CLI, the HTTP API and the eval."""
        return {
            "question": self.question,
            "answer": self.answer,
            "short_answer": self.short_answer.to_dict() if self.short_answer else None,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "citations": [c.to_dict() for c in self.citations],
            "related": [c.to_dict() for c in self.related],
            "index_version": self.index_version,
        }


@dataclass(frozen=True, slots=True)
class Evidence:
    source: str
    quote: str


@dataclass(frozen=True, slots=True)
class GoldQuestion:
    id: str
    question: str
    answerable: bool
    answers: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    tags: tuple[str, ...]
    split: str
