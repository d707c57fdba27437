"""Terminal output, rendered from the jinja2 templates in prompts/."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from qa.core.types import Answer, Citation, ShortAnswer

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
BOLD, RESET = "\x1b[1m", "\x1b[0m"

# What word-wrapping may replace, drop or insert (textwrap's white space, and the line breaks
# str.splitlines knows); every other character of a quote is printed unchanged and in order.
_WRAPPABLE = frozenset("\t\n\x0b\x0c\r \x1c\x1d\x1e\x85\u2028\u2029")


def strong(text: str, on: bool = True) -> str:
    """``text`` in bold for a terminal (ANSI), or unchanged."""
    return f"{BOLD}{text}{RESET}" if on and text else text


def short_span(citation: Citation, short: ShortAnswer | None) -> tuple[int, int] | None:
    """Where ``short`` lies inside ``citation.quote`` (str indices), or None when it does not."""
    if short is None or short.source != citation.source:
        return None
    lo, hi = short.start - citation.start, short.end - citation.start
    if not 0 <= lo < hi <= len(citation.quote) or citation.quote[lo:hi] != short.text:
        return None
    return lo, hi


def bold_short(shown: str, citation: Citation, short: ShortAnswer | None) -> str:
    """Make the short answer bold inside ``shown``, the citation's quote as wrapped and indented
    for the terminal. Wrapping only changes white space, so the answer's other characters are
    found in order; anything unexpected leaves ``shown`` as it is."""
    span = short_span(citation, short)
    if span is None:
        return shown
    quote = citation.quote
    kept = [i for i, ch in enumerate(quote) if ch not in _WRAPPABLE]
    places = [j for j, ch in enumerate(shown) if ch not in _WRAPPABLE]
    if [quote[i] for i in kept] != [shown[j] for j in places]:
        return shown
    inside = [k for k, i in enumerate(kept) if span[0] <= i < span[1]]
    if not inside:
        return shown
    a, b = places[inside[0]], places[inside[-1]] + 1
    return shown[:a] + strong(shown[a:b]) + shown[b:]


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROMPTS),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2.html")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters["strong"] = strong
    env.filters["bold_short"] = bold_short
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def render_answer(answer: Answer, *, bold: bool = False) -> str:
    """The `ask` output: the short answer first, then the sentences and the numbered sources.
    With ``bold`` (stdout is a terminal) the short answer is bold, on top and inside quote [1]."""
    return render("answer.txt.j2", answer=answer, bold=bold)
