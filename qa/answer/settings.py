"""What the composer scores and the settings `qa tune` fits: the sentence features of the
preselection (``FEATURES``), the final ones of a read sentence (``FINAL_FEATURES``), the
confidence model's (``CONFIDENCE_FEATURES``), and ``ComposerSettings`` — their weights, the
thresholds and the sizes — read from and written to qa/tuned.json."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qa.core.errors import ModelError

TUNED = Path(__file__).resolve().parent.parent / "tuned.json"
FEATURES = (  # cheap, for every sentence of the top passages: the preselection model
    "dense_sentence",  # cosine of question and sentence
    "dense_passage",  # cosine of question and the sentence's passage
    "dense_best",  # the sentence's cosine minus the best among all candidates
    "lex_sentence",  # IDF-weighted share of the question's terms found in the sentence
    "lex_context",  # … in the sentence and its neighbours
    "lex_passage",  # … in the passage
    "missing_key",  # rarest question term missing from the sentence and its neighbours
    "entity_missing",  # share of the question's names missing from the sentence and neighbours
    "entity_absent",  # share of the question's names missing from the sentence itself
    "type_match",  # the question asks for a kind of thing (who/when/how many…) the sentence has
    "type_miss",  # … and the sentence has none
    "rank",  # 1 / (1 + the passage's retrieval rank)
    "short",  # the sentence has fewer than SHORT_WORDS words (a heading, a label, a fragment)
    "doc_missing",  # share of the question's names found nowhere in the sentence's file
)
SHORT_WORDS = 8
FINAL_FEATURES = (  # for the pooled sentences, once read: which one answers
    "reader",  # the reading model's logit that the sentence answers
    "preselect",  # the preselection score minus the pool's best
    "null",  # the span head's best span against its "no answer here" ([CLS]) span
)
CONFIDENCE_FEATURES = (  # of the best sentence: is it right at all?
    "reader",  # its reader logit
    "share",  # its share of the softmax over the pool's final scores
    "margin",  # its final score minus the runner-up's (capped at MARGIN_CAP)
    "unknown_names",  # share of the question's names found nowhere in the corpus
    "dense_sentence",
    "lex_context",
    "missing_key",
    "entity_missing",
    "type_miss",
    "typed",  # the question asks for a kind of thing at all
    "doc_missing",
    "null",
    "null_pool",  # the pool's highest "null"
)
MARGIN_CAP = 5.0


@dataclass(frozen=True)
class ComposerSettings:
    """Fitted by `qa tune` on the dev splits; see eval/README.md."""

    weights: tuple[float, ...] = (
        6.0,
        1.0,
        2.0,
        3.0,
        1.0,
        0.5,
        -2.0,
        -2.0,
        -1.0,
        0.5,
        -1.0,
        0.5,
        -1.0,
        -1.0,
    )
    final_weights: tuple[float, ...] = (1.0, 0.0, 0.0)  # over FINAL_FEATURES
    confidence_weights: tuple[float, ...] = (1.0,) + (0.0,) * 12
    confidence_bias: float = 0.0
    threshold: float = 0.5  # abstain when the confidence is below this
    span_threshold: float = 0.3  # no short answer below this span probability
    neighbour_gap: float = 0.5  # an adjacent sentence joins when its score is this close
    passages: int = 8  # passages whose sentences are preselected
    pool: int = 4  # sentences the reader reads (the accuracy-latency curve: docs/reader.md)
    related: int = 3  # nearest passages shown when abstaining

    @classmethod
    def tuned(cls, path: Path = TUNED, fallback: bool = True) -> ComposerSettings:
        """The settings fitted by `qa tune` (qa/tuned.json); the defaults when that file is
        missing or was fitted for another feature set (after a change to the features, until
        `qa tune` refits) — unless ``fallback`` is off (a file the user named), when those are
        errors too. A damaged file is a ModelError, never a traceback or a silent default."""
        remedy = "refit it with `qa tune`"
        if path == TUNED:
            remedy += " or restore it with `git checkout -- qa/tuned.json`"
        if not path.is_file():
            if fallback:
                return cls()
            raise ModelError(f"no settings file at {path}")
        try:
            saved: dict[str, Any] = json.loads(path.read_text())
            fitted = saved.get("fitted_on", {})
            if (
                fitted.get("sentence_features") != list(FEATURES)
                or fitted.get("final_features") != list(FINAL_FEATURES)
                or fitted.get("confidence_features") != list(CONFIDENCE_FEATURES)
            ):
                if fallback:
                    return cls()
                raise ModelError(f"{path} was fitted for another feature set: {remedy}")
            fields: dict[str, Any] = {
                k: tuple(v) if isinstance(v, list) else v for k, v in saved["settings"].items()
            }
            return cls(**fields)
        except (OSError, ValueError, AttributeError, KeyError, TypeError) as exc:
            raise ModelError(
                f"{path} is not a settings file written by `qa tune` ({exc}): {remedy}"
            ) from None

    def save(self, path: Path, fitted_on: Mapping[str, Any]) -> None:
        """Write what `tuned` reads: beside ``path``, then renamed over it in one step, so an
        interrupted fit leaves the old file whole."""
        partial = path.with_name(f".{path.name}.partial")
        payload = {"settings": asdict(self), "fitted_on": dict(fitted_on)}
        try:
            partial.write_text(json.dumps(payload, indent=1) + "\n")
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
