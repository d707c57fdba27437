"""qa.index.bm25: the numpy scoring of bm25s's saved index gives bm25s's own scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.index.bm25 import SparseBM25


def test_numpy_bm25_scores_equal_bm25s(tmp_path: Path) -> None:
    import bm25s

    rng = np.random.default_rng(0)
    vocab = [f"t{i}" for i in range(40)]
    docs = [list(rng.choice(vocab, size=int(rng.integers(1, 30)))) for _ in range(200)]
    model = bm25s.BM25()
    model.index(docs, show_progress=False)
    model.save(str(tmp_path / "bm25"), show_progress=False)
    sparse = SparseBM25.load(tmp_path / "bm25")
    for _ in range(50):
        query = list(rng.choice(vocab, size=int(rng.integers(1, 6))))  # repeats included
        known = [t for t in query if t in model.vocab_dict]
        expected = model.get_scores(known)
        got = sparse.scores([sparse.vocab[t] for t in known])
        assert got.dtype == expected.dtype
        assert np.array_equal(got, expected)
