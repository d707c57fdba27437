"""The evaluation run: every gold question asked of an engine and scored."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from qa.core.types import GoldQuestion
from qa.evaluate.gold import Corpus
from qa.evaluate.metrics import Result, score_question


def run(
    engine: Any, gold: Sequence[GoldQuestion], progress: Callable[[int], None] | None = None
) -> tuple[list[Result], bool]:
    """Score every question; returns the results and whether two runs were byte-identical."""
    corpus = Corpus(engine.corpus)
    real = engine.composer.settings
    results: list[Result] = []
    identical = True
    for lo in range(0, len(gold), 32):
        batch = gold[lo : lo + 32]
        questions = [q.question for q in batch]
        answers = engine.ask_many(questions)
        again = engine.ask_many(questions)
        identical &= all(
            json.dumps(x.to_dict()) == json.dumps(y.to_dict())
            for x, y in zip(answers, again, strict=True)
        )
        # the probe (abstention off) differs from the answer only where the system abstained
        declined = [q for q, a in zip(questions, answers, strict=True) if a.abstained]
        engine.composer.settings = replace(real, threshold=0.0)
        try:
            probed = iter(engine.ask_many(declined) if declined else [])
        finally:
            engine.composer.settings = real
        probes = [next(probed) if a.abstained else a for a in answers]
        for q, ans, probe in zip(batch, answers, probes, strict=True):
            ranked = [
                {(p.source, p.paragraph)} | {(s.source, s.paragraph) for s in p.also_in}
                for p in engine.search(q.question, 10)
            ]
            results.append(score_question(q, ans, probe, ranked, corpus))
        if progress:
            progress(len(batch))
    return results, identical
