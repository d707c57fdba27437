"""What a section is: its parts (``Section``), what it is measured with (``SectionRun``), and
how its result is made (``measure``; ``each_checkout`` for figures of both checkouts)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .code import CURRENT, Code, _attempt


@dataclass(frozen=True)
class SectionRun:
    """What a section is measured with: the options, whether the straightforward approach is
    measured too, the previous code (None unless the section is one of PREVIOUS_SECTIONS and
    the previous code could be set up) and a scratch folder, removed after the section."""

    args: argparse.Namespace
    baseline: bool
    previous: Code | None
    tmp: Path


def _no_head(run: SectionRun) -> dict[str, Any]:
    return {}


def _no_finish(run: SectionRun, out: dict[str, Any]) -> None:
    return None


@dataclass(frozen=True)
class Section:
    """A group of figures; measure() makes its result, in this order: ``head``, the fields that
    come first; ``code``, the figures of the code measured (the current code's, and the previous
    code's where it is measured: see each_checkout); ``baseline``, the straightforward
    approach's (none with --no-baseline); ``finish``, what is derived once those are in."""

    code: Callable[[SectionRun], dict[str, Any]]
    head: Callable[[SectionRun], dict[str, Any]] = _no_head
    baseline: Callable[[SectionRun], dict[str, Any]] | None = None
    finish: Callable[[SectionRun, dict[str, Any]], None] = _no_finish


def each_checkout(
    what: str, measure_one: Callable[[SectionRun, Code], dict[str, Any]]
) -> Callable[[SectionRun], dict[str, Any]]:
    """A section's ``code``: ``measure_one`` of the current code, then of the previous code
    when there is one, whose failure is recorded (``what`` names it in the log)."""

    def sides(run: SectionRun) -> dict[str, Any]:
        out = {"current": measure_one(run, CURRENT)}
        previous = run.previous
        if previous is not None:
            out["previous"] = _attempt(f"previous code, {what}", lambda: measure_one(run, previous))
        return out

    return sides


def measure(section: Section, run: SectionRun) -> dict[str, Any]:
    out = section.head(run)
    out.update(section.code(run))
    if run.baseline and section.baseline is not None:
        out["baseline"] = section.baseline(run)
    section.finish(run, out)
    return out
