"""One article rendered into every supported format (.txt, .md, .html, .pdf, .docx), generated
here, never downloaded: the tests' multi-format corpus and the converter measurement
(eval/formats_choice.py) both use it.

The article is a list of sections; each has a heading and paragraphs. Every format carries the
same sentences, so a question finds the same sentence in each, with the format's own locator:
the PDF page it prints on, the Markdown/Word heading path, the HTML text fragment.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

TITLE = "The Harbour Lights of Velmora"

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Origins",
        (
            "The first lighthouse of Velmora was lit in 1847 by the engineer Tomasz Brenner, "
            "who had studied lens making in Paris for three winters.",
            "Brenner chose the northern cliff because ships from the Sarn estuary could see "
            "it before they reached the shoals that had sunk eleven vessels in a decade.",
            "The tower was built from grey basalt quarried two miles inland and carried to the "
            "cliff on sledges pulled by oxen.",
            "Local fishermen at first distrusted the light, saying that it frightened the "
            "herring away from the bay during the autumn runs.",
        ),
    ),
    (
        "The keepers",
        (
            "For sixty years the light was tended by the Aldous family, who lived in a "
            "cottage at the foot of the tower and kept a logbook of every passing ship.",
            "Margit Aldous kept the lamp burning through the great storm of 1903, when the "
            "harbour wall collapsed and the town lost its telegraph line for nine days.",
            "Her logbook records that she climbed the one hundred and twelve steps of the "
            "tower forty times in a single night to trim the wicks.",
            "The keepers were paid partly in coal and partly in salt fish, an arrangement "
            "that lasted until the harbour board adopted cash wages in 1911.",
            "Visitors who climbed the tower on Sundays paid a penny each, and the money went "
            "to the widows of drowned sailors.",
        ),
    ),
    (
        "Electric light",
        (
            "The oil lamp was replaced by an electric lantern in 1936, powered by a diesel "
            "generator housed in a brick shed beside the cottage.",
            "The new lantern could be seen from thirty-one nautical miles away on a clear "
            "night, more than twice the range of the old lamp.",
            "During the war the light was dimmed by order of the admiralty and painted with a "
            "blue filter so that bombers could not use it as a landmark.",
            "Automation came in 1978, and the last keeper, Ivo Selnar, left the cottage with "
            "his two dogs and the Aldous logbooks, which he gave to the town museum.",
            "Today the tower is a listed monument, and its light still turns every twelve "
            "seconds above the harbour of Velmora.",
        ),
    ),
)

# (question, sentence that answers it, its section's heading); in the PDF, section k is page k
QUESTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "Who lit the first lighthouse of Velmora?",
        SECTIONS[0][1][0],
        "Origins",
    ),
    (
        "Who kept the lamp burning through the great storm of 1903?",
        SECTIONS[1][1][1],
        "The keepers",
    ),
    (
        "When was the oil lamp replaced by an electric lantern?",
        SECTIONS[2][1][0],
        "Electric light",
    ),
)

FORMATS = ("txt", "md", "html", "pdf", "docx")


def paragraphs() -> list[str]:
    return [p for _, paras in SECTIONS for p in paras]


def as_txt() -> str:
    out = [TITLE, ""]
    for heading, paras in SECTIONS:
        out += [heading, ""]
        for p in paras:
            out += [p, ""]
    return "\n".join(out)


def as_markdown() -> str:
    out = [f"# {TITLE}", ""]
    for heading, paras in SECTIONS:
        out += [f"## {heading}", ""]
        for i, p in enumerate(paras):
            if i == 1:  # inline markup must not reach the extracted text
                first, rest = p.split(" ", 1)
                p = f"**{first}** {rest}"
            if i == 2:  # a soft line break inside a paragraph
                cut = p.index(" ", len(p) // 2)
                p = p[:cut] + "\n" + p[cut + 1 :]
            out += [p, ""]
    out += ["```", "print('code blocks are paragraphs too')", "```", ""]
    return "\n".join(out)


def as_html() -> str:
    body = [f"<h1>{html.escape(TITLE)}</h1>"]
    for heading, paras in SECTIONS:
        body.append(f"<h2>{html.escape(heading)}</h2>")
        for i, p in enumerate(paras):
            text = html.escape(p)
            if i == 1:
                first, rest = text.split(" ", 1)
                text = f"<em>{first}</em> {rest}"
            body.append(f"<p>{text}</p>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        + html.escape(TITLE)
        + "</title><style>p { margin: 1em }</style>"
        + "<script>var tracking = 'Subscribe to our newsletter';</script></head><body>"
        + "<nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/login'>Sign in</a></nav>"
        + "<header><p>Coastal Heritage Weekly</p></header><main><article>"
        + "\n".join(body)
        + "</article></main><aside><p>Subscribe to our newsletter for weekly stories.</p></aside>"
        + "<footer><p>© 2024 Coastal Heritage Weekly. All rights reserved.</p></footer>"
        + "</body></html>"
    )


def _pdf() -> Any:
    """An fpdf2 document (core Helvetica font, A5) with a running header and a page-number
    footer on every page."""
    from fpdf import FPDF

    class Article(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=8)
            self.cell(0, 6, "Coastal Heritage Weekly", align="C")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.cell(0, 6, str(self.page_no()), align="C")

    pdf = Article(format=(148, 210))  # A5, in mm
    pdf.set_auto_page_break(True, margin=18)
    return pdf


def as_pdf() -> bytes:
    """Each section starts a page: section k is on page k (1-based)."""
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 7, TITLE)
    pdf.ln(4)
    for k, (heading, paras) in enumerate(SECTIONS):
        if k:
            pdf.add_page()
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 6, heading)
        pdf.ln(3)
        pdf.set_font("Helvetica", size=10)
        for p in paras:
            pdf.multi_cell(0, 5, p)
            pdf.ln(4)
    return bytes(pdf.output())


def pdf_from_lines(pages: list[list[str]]) -> bytes:
    """A PDF whose pages hold exactly these lines (an empty string: a paragraph gap), for line
    breaks chosen by hand: words hyphenated at a line end, a paragraph cut by a page break."""
    pdf = _pdf()
    pdf.set_auto_page_break(False)
    for lines in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        for line in lines:
            if line:
                pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
            else:
                pdf.ln(6)
    return bytes(pdf.output())


def as_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(TITLE, level=0)
    for heading, paras in SECTIONS:
        document.add_heading(heading, level=1)
        for i, p in enumerate(paras):
            para = document.add_paragraph()
            if i == 1:  # several runs make one paragraph
                first, rest = p.split(" ", 1)
                para.add_run(first).bold = True
                para.add_run(" " + rest)
            else:
                para.add_run(p)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Built"
    table.rows[0].cells[1].text = "1847"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render(fmt: str) -> bytes:
    if fmt == "txt":
        return as_txt().encode()
    if fmt == "md":
        return as_markdown().encode()
    if fmt == "html":
        return as_html().encode()
    if fmt == "pdf":
        return as_pdf()
    if fmt == "docx":
        return as_docx()
    raise ValueError(fmt)


def write_all(folder: Path, stem: str = "velmora") -> dict[str, Path]:
    """The article in every format under ``folder`` (each in a sub-folder of its own)."""
    out = {}
    for fmt in FORMATS:
        path = folder / fmt / f"{stem}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(fmt))
        out[fmt] = path
    return out
