"""qa.index.vector_index: exact search for small corpora, IVF-Flat tuned to its recall target
above."""

from __future__ import annotations

import numpy as np

from qa.index.vector_index import vector_index


def test_large_index_is_ivf_with_recall_on_target() -> None:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((50, 32)).astype(np.float32)
    vectors = centres[rng.integers(0, 50, 6000)] + 0.3 * rng.standard_normal((6000, 32))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    index, info = vector_index(vectors, flat_max=1000)
    assert info["type"] == "ivf-flat" and info["probe_recall_at_10"] >= 0.97
    assert index.ntotal == len(vectors) and index.nprobe == info["nprobe"]
    assert np.allclose(index.reconstruct(17), vectors[17])
    small, info = vector_index(vectors[:500], flat_max=1000)
    assert info == {"type": "flat", "vectors": 500, "exact": True} and small.ntotal == 500
