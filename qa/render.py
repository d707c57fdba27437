"""Terminal output, rendered from the jinja2 templates in prompts/."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROMPTS),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2.html")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
