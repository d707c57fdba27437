"""Documents in other formats → text blocks → one extracted text with paragraphs.

Each converter (``markdown``, ``html``, ``pdf``, ``docx``) turns a file's bytes into ``Block``s in
reading order: a heading, a paragraph, a list item, a table row (its cells joined by " | "). The
blocks become one extracted text, each block a paragraph on a line of its own, paragraphs
separated by a blank line; offsets of citations point into this text, which the build stores
(``.txt`` files are not converted: their text is the file, with the plain-text paragraph rules
of ``qa.ingest.corpus``). A file a converter cannot read raises ``Unreadable`` with the reason, and
is skipped with one warning.

Imports: ``qa.core.types``, ``qa.core.errors`` and the converters' libraries only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote as _quote

from qa.core.types import Paragraph

# suffix → format name; "txt" is read by qa.ingest.corpus itself
SUFFIXES = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
MAX_TEXT_CHARS = 20_000_000  # extracted text of one file, beyond which it is skipped


class Unreadable(Exception):
    """A file a converter cannot turn into text; the message says why (shown in the warning)."""


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph of a converted document, in reading order."""

    text: str
    level: int = 0  # heading level (1 = the document title or a top heading); 0 = body text
    page: int | None = None  # 1-based page (PDF)


def format_of(name: str) -> str | None:
    dot = name.rfind(".")
    return SUFFIXES.get(name[dot:].lower()) if dot >= 0 else None


# control and invisible characters that carry no text (soft hyphen, zero-width, BOM)
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff]")


def clean(text: str) -> str:
    """A block's text on one line: invisible characters dropped, white space collapsed."""
    return " ".join(_INVISIBLE.sub("", text).split())


def converter(fmt: str) -> Callable[[bytes], list[Block]]:
    if fmt == "md":
        from qa.ingest.formats.markdown import blocks
    elif fmt == "html":
        from qa.ingest.formats.html import blocks
    elif fmt == "pdf":
        from qa.ingest.formats.pdf import blocks
    elif fmt == "docx":
        from qa.ingest.formats.docx import blocks
    else:
        raise ValueError(f"no converter for {fmt!r}")
    return blocks


Convert = Callable[[str, bytes], list[Block]]


def extract(
    source: str, fmt: str, data: bytes, convert: Convert | None = None
) -> tuple[str, list[Paragraph]]:
    """The extracted text of a non-.txt file and its paragraphs (numbered 1, 2, 3 …, each with
    its page and heading path), or ``Unreadable``. ``convert(fmt, data)``: where the converter
    runs (a build passes ``qa.ingest.formats.guard.Guard.blocks``, a child process with limits);
    default: in this process."""
    try:
        found = convert(fmt, data) if convert is not None else converter(fmt)(data)
    except Unreadable:
        raise
    except RecursionError:
        raise Unreadable("nested too deeply to read") from None
    except MemoryError:
        raise Unreadable("too large to convert in memory") from None
    except Exception as exc:  # a damaged file: every library fails in its own way
        raise Unreadable(f"cannot be read as {fmt.upper()} ({type(exc).__name__})") from None
    text, paragraphs = assemble(source, found)
    if not paragraphs:
        raise Unreadable("no text in it")
    return text, paragraphs


def assemble(source: str, blocks: Sequence[Block]) -> tuple[str, list[Paragraph]]:
    """Blocks → one text (a paragraph a line, a blank line between) and its paragraphs, each
    with its heading path (the headings above it, its own included when it is one)."""
    parts: list[str] = []
    paragraphs: list[Paragraph] = []
    stack: list[tuple[int, str]] = []
    pos = 0
    for block in blocks:
        line = clean(block.text)
        if not line:
            continue
        if block.level:
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, line))
        start = pos
        pos += len(line) + 2
        if pos > MAX_TEXT_CHARS:
            raise Unreadable(f"more than {MAX_TEXT_CHARS} characters of text")
        parts.append(line)
        paragraphs.append(
            Paragraph(
                source,
                len(paragraphs) + 1,
                start,
                start + len(line),
                line,
                page=block.page,
                headings=tuple(h for _, h in stack),
            )
        )
    return "\n\n".join(parts), paragraphs


# ---------------------------------------------------------------- locating a quote


def _fragment_part(text: str) -> str:
    # text-fragment syntax: "-", "&" and "," are delimiters, so they are percent-encoded too
    return _quote(text, safe="").replace("-", "%2D")


def text_fragment_link(source: str, quote: str, words: int = 4) -> str:
    """A link that opens ``source`` (relative to the corpus folder) scrolled to ``quote`` and
    highlights it in browsers that support text fragments (``#:~:text=``): the whole quote when
    short, else its first and last ``words`` words as ``textStart,textEnd``."""
    tokens = quote.split()
    if len(tokens) <= 2 * words + 2:
        target = _fragment_part(" ".join(tokens))
    else:
        start, end = " ".join(tokens[:words]), " ".join(tokens[-words:])
        target = f"{_fragment_part(start)},{_fragment_part(end)}"
    return f"{_quote(source)}#:~:text={target}"
