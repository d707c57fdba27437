"""Word (.docx) → blocks with python-docx: the body's paragraphs and tables in document order;
"Title" and "Heading N" styles are headings (levels 1 and N + 1), a table row is one block (its
cells joined by " | "). Headers, footers, footnotes and comments are left out.

Before python-docx opens it, the file must be a zip archive holding word/document.xml whose
members declare at most MAX_UNZIPPED bytes in all: Python's zipfile never inflates a member
past its declared size, so a zip bomb is refused without being inflated."""

from __future__ import annotations

import io
import re
import zipfile

from qa.ingest.formats import Block, Unreadable

MAX_UNZIPPED = 200_000_000
_HEADING = re.compile(r"heading\s*(\d)", re.I)


def _check_archive(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Unreadable("not a Word file (not a zip archive)") from None
    with archive:
        infos = archive.infolist()
        if "word/document.xml" not in {i.filename for i in infos}:
            raise Unreadable("not a Word file (no word/document.xml)")
        if sum(i.file_size for i in infos) > MAX_UNZIPPED:
            raise Unreadable(f"decompresses to more than {MAX_UNZIPPED // 1_000_000} MB")


def _level(style_name: str) -> int:
    if style_name.lower() == "title":
        return 1
    match = _HEADING.fullmatch(style_name.strip())
    return int(match.group(1)) + 1 if match else 0


def blocks(data: bytes) -> list[Block]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph as WordParagraph

    _check_archive(data)
    document = docx.Document(io.BytesIO(data))
    out: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, WordParagraph):
            style = item.style.name if item.style is not None and item.style.name else ""
            out.append(Block(item.text, level=_level(style)))
        elif isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:  # a merged cell comes back once per grid column
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                out.append(Block(" | ".join(cells)))
    return out
