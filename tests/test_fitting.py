"""Fitting: the listwise model by hand, and tuning and cross-validation on the seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.answer.engine import Engine
from qa.answer.settings import CONFIDENCE_FEATURES, FEATURES, FINAL_FEATURES
from qa.core.types import GoldQuestion
from qa.evaluate.fitting import _fit_listwise, cross_validate, tune
from qa.evaluate.gold import load_gold, select

ROOT = Path(__file__).resolve().parent.parent


def test_listwise_fit_prefers_the_positive_candidate() -> None:
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(30):
        x = rng.normal(size=(6, 2))
        x[0, 0] += 2.0  # the positive is high on feature 0; feature 1 is noise
        y = np.zeros(6)
        y[0] = 1
        groups.append((x, y))
    w = _fit_listwise(groups, steps=400)
    assert w[0] > 1.0 and abs(w[1]) < w[0] / 2


# ---------------------------------------------------------------- fitting


def _dev_sample(n: int) -> list[GoldQuestion]:
    return select(load_gold(ROOT / "eval" / "gold" / "seeds.jsonl"), "dev")[:n]


def test_tune_fits_every_feature_and_leaves_the_engine_as_it_was(seeds_engine: Engine) -> None:
    before = seeds_engine.composer.settings
    reader = seeds_engine.composer.reader
    settings, info = tune([(seeds_engine, _dev_sample(40))])
    assert seeds_engine.composer.settings == before
    assert seeds_engine.composer.reader is reader  # the fitting cache is gone
    assert len(settings.weights) == len(FEATURES)
    assert len(settings.final_weights) == len(FINAL_FEATURES)
    assert len(settings.confidence_weights) == len(CONFIDENCE_FEATURES)
    assert settings.final_weights[0] > 0  # the reader's logit counts for the answer
    assert 0.0 <= settings.threshold <= 1.0 and 0.0 <= settings.span_threshold <= 1.0
    assert info["questions"] == 40


def test_cross_validation_is_held_out_deterministic_and_restores_settings(
    seeds_engine: Engine,
) -> None:
    before = seeds_engine.composer.settings
    sets = [(seeds_engine, _dev_sample(40))]
    first = cross_validate(sets, folds=2, repeats=1)
    assert seeds_engine.composer.settings == before
    assert first == cross_validate(sets, folds=2, repeats=1)
    assert first["questions"] == 40
    for key in ("top1", "confidence_auc", "accuracy"):
        value = first[key]
        assert value is not None and 0.0 <= value <= 1.0, key
    ablated = cross_validate(sets, folds=2, repeats=1, without=frozenset({"reader"}))
    assert ablated != first  # leaving a feature out changes the fit
