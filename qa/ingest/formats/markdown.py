"""Markdown → blocks with markdown-it-py (CommonMark, with tables): headings, paragraphs, list
items, block quotes' paragraphs, code blocks, table rows. Inline markup is dropped (the text of
links, emphasis and code spans stays; images give their alt text); raw HTML and a leading YAML
front matter are left out."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from qa.ingest.formats import Block, Unreadable

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n.*?\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


def _inline(token: Token) -> str:
    out = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(_inline(child))
    return "".join(out)


def blocks(data: bytes) -> list[Block]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8") from None
    text = _FRONT_MATTER.sub("", text, count=1)
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    out: list[Block] = []
    row: list[str] | None = None
    level = 0
    for token in tokens:
        if token.type == "heading_open":
            level = int(token.tag[1:])
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            out.append(Block(" | ".join(c for c in row if c)))
            row = None
        elif token.type == "inline":
            if row is not None:
                row.append(_inline(token).strip())
            else:
                out.append(Block(_inline(token), level=level))
            level = 0
        elif token.type in ("fence", "code_block"):
            out.append(Block(token.content))
    return out
