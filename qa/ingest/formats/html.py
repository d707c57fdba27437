"""HTML → blocks: the page's main content found by trafilatura (navigation, headers, footers,
sidebars, comments and scripts left out), taken from its XML output: headings (``head``),
paragraphs, list items, code blocks and table rows (cells joined by " | ")."""

from __future__ import annotations

from typing import Any

from qa.ingest.formats import Block, Unreadable

_BLOCKS = {"head", "p", "item", "code", "row", "quote"}


def _text(element: Any) -> str:
    if element.tag == "row":
        return " | ".join(" ".join(c.itertext()).strip() for c in element if c.tag == "cell")
    return "".join(element.itertext())


def _walk(element: Any, out: list[Block]) -> None:
    for child in element:
        nested = child.tag in ("quote", "item") and child.find(".//p") is not None
        if child.tag in _BLOCKS and not nested:
            level = 0
            if child.tag == "head":
                rend = str(child.get("rend", "h2"))
                level = int(rend[1:]) if rend[1:].isdigit() else 2
            out.append(Block(_text(child), level=level))
        else:
            _walk(child, out)


def blocks(data: bytes) -> list[Block]:
    import trafilatura
    from lxml import etree

    xml = trafilatura.extract(
        data,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        deduplicate=False,
        with_metadata=False,
    )
    if not xml:
        raise Unreadable("no readable text in it (only scripts or markup?)")
    root = etree.fromstring(xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    out: list[Block] = []
    main = root.find("main")
    _walk(main if main is not None else root, out)
    return out
