"""One row of the table: its cells formatted, and the ratios to the baseline and the previous
code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
        return f"{text}{unit}"
    return f"{value}{unit}"


COLUMNS = (
    "figure",
    "target",
    "baseline",
    "previous",
    "current",
    "vs baseline",
    "vs previous",
    "met",
)
OPTIONAL = {"baseline": "vs baseline", "previous": "vs previous"}  # hidden when all empty


def _ratio(reference: Any, current: Any, better: str) -> str:
    """How many times better the current figure is than ``reference`` (faster, or more per
    second): above 1 the current code is better, below 1 worse."""
    numbers = isinstance(reference, int | float) and isinstance(current, int | float)
    if not numbers or isinstance(reference, bool) or not reference or not current:
        return ""
    ratio = reference / current if better == "lower" else current / reference
    return f"{ratio:.1f}×" if ratio >= 0.95 else f"{ratio:.2f}×"


def _row(
    rows: list[dict[str, Any]],
    figure: str,
    target: str,
    baseline: Any,
    current: Any,
    unit: str = "",
    better: str = "lower",
    met: Callable[[Any], bool] | None = None,
    previous: Any = None,
) -> None:
    rows.append(
        {
            "figure": figure,
            "target": target,
            "baseline": _fmt(baseline, unit),
            "previous": _fmt(previous, unit),
            "current": _fmt(current, unit),
            "vs baseline": _ratio(baseline, current, better),
            "vs previous": _ratio(previous, current, better),
            "met": "" if met is None else ("yes" if met(current) else "NO"),
        }
    )
