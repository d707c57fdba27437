"""PDF → blocks with pdfminer.six: its layout analysis groups a page's text lines into text boxes,
one block each, in reading order, with the page number. Words hyphenated across line ends are
joined; running headers and footers (the same text, numbers aside, at the top or bottom of most
pages) and bare page numbers are dropped as chrome; a paragraph cut by a page break is joined
again (its page is the one it starts on). Pages past MAX_PAGES are not read.

Encrypted files that open without a password (owner-password only) are read; others are
``Unreadable``, and so is a PDF without a text layer (scanned pages: no OCR here)."""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass

from qa.ingest.formats import Block, Unreadable

MAX_PAGES = 2000
EDGE = 0.1  # top and bottom share of a page where running headers and footers stand
_PAGE_NUMBER = re.compile(r"^\W*(?:page\s*)?\d{1,5}(?:\s*(?:of|/)\s*\d{1,5})?\W*$", re.I)
_HYPHEN_END = re.compile(r"[^\W\d_]-$")
_ENDS = re.compile(r"[.!?:;…][\"'”’)\]]*$")


@dataclass
class _Box:
    page: int
    lines: list[str]
    edge: bool  # in the top or bottom band of its page

    @property
    def key(self) -> str:  # the text with its numbers blanked, to spot running headers
        return re.sub(r"\d+", "#", " ".join(" ".join(self.lines).split()).lower())


# typographic ligatures a PDF's text layer often carries ("Soﬁe"): spelled out, so the extracted
# text reads, searches and quotes as the words it shows
_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
    }
)


def join_lines(lines: list[str]) -> str:
    """One paragraph from a box's lines, typographic ligatures spelled out: a word hyphenated at
    a line end is joined when the next line goes on in lower case ("light-" + "house" →
    "lighthouse"); other lines join with a space."""
    out = ""
    for line in (x.strip().translate(_LIGATURES) for x in lines):
        if not line:
            continue
        if out and _HYPHEN_END.search(out) and line[0].islower():
            out = out[:-1] + line
        else:
            out = f"{out} {line}" if out else line
    return out


def _boxes(data: bytes) -> tuple[list[_Box], int]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextBox, LTTextLine
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    found: list[_Box] = []
    pages = 0
    try:
        for number, page in enumerate(
            extract_pages(io.BytesIO(data), laparams=LAParams(), maxpages=MAX_PAGES), start=1
        ):
            pages = number
            height = page.height or 1.0
            for item in page:
                if not isinstance(item, LTTextBox):
                    continue
                lines = [x.get_text() for x in item if isinstance(x, LTTextLine)]
                edge = item.y0 >= height * (1 - EDGE) or item.y1 <= height * EDGE
                found.append(_Box(number, lines, edge))
    except PDFPasswordIncorrect:
        raise Unreadable("encrypted (it needs a password)") from None
    except Exception as exc:
        if "encrypt" in type(exc).__name__.lower() or "password" in str(exc).lower():
            raise Unreadable("encrypted (it needs a password)") from None
        raise
    return found, pages


def blocks(data: bytes) -> list[Block]:
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise Unreadable("not a PDF file")
    found, pages = _boxes(data)
    # running headers and footers: edge text repeated (numbers aside) on half the pages or more
    repeats = Counter(b.key for b in found if b.edge)
    running = {k for k, n in repeats.items() if pages >= 2 and n >= max(2, pages / 2)}
    out: list[Block] = []
    for box in found:
        text = join_lines(box.lines)
        if not text or (box.edge and (box.key in running or _PAGE_NUMBER.match(text))):
            continue
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.page is not None
            and prev.page < box.page
            and not _ENDS.search(prev.text)
            and text[0].islower()
        ):  # a paragraph cut by the page break
            out[-1] = Block(join_lines([prev.text, text]), page=prev.page)
            continue
        out.append(Block(text, page=box.page))
    if not any(b.text.strip() for b in out):
        raise Unreadable("no text layer (a scanned PDF? no OCR here)")
    return out
