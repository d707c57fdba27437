"""Alternatives to the composer's confidence model, measured by the cross-validation `qa tune
--cv` runs (5 folds × 3 over the three dev splits, every model refitted in each fold): run by
hand, not in CI. None of them ships; docs/reader.md ("Confidence models and features, tried")
gives the figures.

    python -m eval.confidence_study --model linear              # the shipped model: qa tune --cv
    python -m eval.confidence_study --model quadratic --c 0.01  # + every pairwise product
    python -m eval.confidence_study --model reader-quadratic --c 0.5  # … of the reader's only
    python -m eval.confidence_study --model trees               # gradient-boosted trees
    python -m eval.confidence_study --model linear --extra      # + two span features

``quadratic`` is a logistic regression over the z-scored features and all their pairwise
products (L2, inverse strength ``--c``); ``reader-quadratic`` the same with the products of the
reader's five features only (READER_FEATURES); ``scaled`` no products, only the z-scores and
``--c``; ``trees`` is scikit-learn's histogram gradient boosting (depth 3, 150 rounds).
``--extra`` adds two confidence features of the best sentence: its reader logit minus the logit
of the same sentence with its short answer's words removed (one more read), and whether a
question asking for a kind of thing (who/when/how many…) gets a short answer without one. The
fold's threshold is fitted as `qa tune` fits it. With ``--test`` the model is fitted on all the
dev questions as `qa tune` fits it and the test splits are reported as `qa eval --split test`
reports them (with ``--model linear``: the shipped figures, exactly).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

import qa.evaluate.fitting
from qa.answer.composer import Candidate, Composer
from qa.answer.features import has_type, question_type
from qa.answer.settings import CONFIDENCE_FEATURES
from qa.cli.common import _open_engine
from qa.core.text import words
from qa.evaluate.gold import COMMITTED, load_gold, select
from qa.evaluate.report import report

EXTRA = ("erased", "span_miss")
TEST_METRICS = (
    "accuracy",
    "answer_containment",
    "top_citation_correct",
    "abstention_recall",
    "false_abstention",
)
READER_FEATURES = ("reader", "share", "margin", "null", "null_pool")  # the reader's own view


def _erased(composer: Composer, best: Candidate, question: str) -> float:
    r = best.reading
    if r is None or r.span is None:
        return 0.0
    text = best.sentence.text
    rest = (text[: r.span[0]].rstrip() + " " + text[r.span[1] :].lstrip()).strip()
    if not rest:
        return 0.0
    other = composer.reader.read(question, [rest])[0]
    return float(np.clip((r.logit - other.logit) / 5.0, -2.0, 2.0))


def _span_miss(best: Candidate, question: str) -> float:
    r = best.reading
    kind = question_type(question)
    if r is None or kind is None:
        return 0.0
    if r.span is None:
        return 1.0
    text = " " + best.sentence.text[r.span[0] : r.span[1]]
    return float(not has_type(kind, text, words(text), set(words(question))))


def add_extra_features() -> None:
    """Append EXTRA to the confidence features the composer computes and the fitting fits."""
    setattr(qa.evaluate.fitting, "CONFIDENCE_FEATURES", (*CONFIDENCE_FEATURES, *EXTRA))  # noqa: B010
    base = Composer.confidence_features

    def confidence_features(self: Composer, cands: Sequence[Candidate], q: str) -> list[float]:
        out = base(self, cands, q)
        if not cands or cands[0].reading is None:
            return out + [0.0] * len(EXTRA)
        return [*out, _erased(self, cands[0], q), _span_miss(cands[0], q)]

    setattr(Composer, "confidence_features", confidence_features)  # noqa: B010


def use_model(kind: str, c: float) -> None:
    """Fit ``kind`` where `qa tune` fits its logistic confidence model, and score with it."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    fitted: dict[str, Any] = {}
    linear_fit = qa.evaluate.fitting._fit_confidence

    def fit(ranked: Sequence[Any], without: Any) -> tuple[tuple[float, ...], float]:
        rows = np.asarray([r.engine.composer.confidence_features(r.cands, r.text) for r in ranked])
        y = np.asarray([float(r.would_be_correct) for r in ranked])
        if kind == "quadratic":
            fitted["model"] = make_pipeline(
                StandardScaler(),
                PolynomialFeatures(2, interaction_only=True, include_bias=False),
                LogisticRegression(C=c, max_iter=5000),
            ).fit(rows, y)
        elif kind == "scaled":
            fitted["model"] = make_pipeline(
                StandardScaler(), LogisticRegression(C=c, max_iter=5000)
            ).fit(rows, y)
        elif kind == "reader-quadratic":
            products = [CONFIDENCE_FEATURES.index(n) for n in READER_FEATURES]
            fitted["model"] = make_pipeline(
                StandardScaler(),
                ColumnTransformer(
                    [("products", PolynomialFeatures(2, interaction_only=True), products)],
                    remainder="passthrough",
                ),
                LogisticRegression(C=c, max_iter=5000),
            ).fit(rows, y)
        else:
            fitted["model"] = HistGradientBoostingClassifier(
                max_depth=3,
                max_iter=150,
                learning_rate=0.05,
                min_samples_leaf=30,
                l2_regularization=1.0,
                random_state=0,
            ).fit(rows, y)
        return linear_fit(ranked, without)

    def confidence(self: Composer, cands: Sequence[Candidate], question: str) -> float:
        if not cands:
            return 0.0
        row = np.asarray([self.confidence_features(cands, question)])
        return float(fitted["model"].predict_proba(row)[0, 1])

    setattr(qa.evaluate.fitting, "_fit_confidence", fit)  # noqa: B010
    setattr(Composer, "confidence", confidence)  # noqa: B010


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        choices=("linear", "scaled", "quadratic", "reader-quadratic", "trees"),
        default="linear",
    )
    parser.add_argument(
        "--c", type=float, default=0.01, help="the logistic models' inverse L2 strength"
    )
    parser.add_argument("--extra", action="store_true", help="add the two span features")
    parser.add_argument(
        "--test", action="store_true", help="fit on the dev splits and report the test splits"
    )
    args = parser.parse_args()
    if args.extra:
        add_extra_features()
    if args.model != "linear":
        use_model(args.model, args.c)
    sets = [
        (
            _open_engine(corpus, None, refitting=True),
            select(load_gold(gold), "dev"),
        )
        for gold, corpus in COMMITTED
    ]
    if args.test:
        settings, _ = qa.evaluate.fitting.tune(sets)
        figures: dict[str, Any] = {}
        for (engine, _questions), (gold, _corpus) in zip(sets, COMMITTED, strict=True):
            engine.composer.settings = settings
            rep, _results = report(engine, gold, "test")
            figures[gold.stem] = {
                k: round(v, 3)
                for k, v in rep["metrics"].items()
                if k in TEST_METRICS and v is not None
            }
    else:
        figures = dict(qa.evaluate.fitting.cross_validate(sets))
        per_corpus = [v for k, v in figures.items() if k.startswith("accuracy ") and v is not None]
        figures["mean of the corpora's accuracies"] = float(np.mean(per_corpus))
    print(json.dumps({"model": args.model, "c": args.c, "extra": args.extra, **figures}))


if __name__ == "__main__":
    main()
