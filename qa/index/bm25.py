"""BM25 at query time: bm25s's saved index scored with numpy alone (no bm25s, no scipy)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.core.errors import IndexMismatch


@dataclass(frozen=True)
class SparseBM25:
    """bm25s's saved index (CSC arrays: one column of precomputed scores per term), scored with
    numpy exactly as bm25s's numpy backend does, without importing bm25s or scipy."""

    vocab: dict[str, int]
    data: np.ndarray  # score of each (term, passage) posting
    indices: np.ndarray  # passage row of each posting
    indptr: np.ndarray  # postings of term t: [indptr[t], indptr[t + 1])
    num_docs: int

    @classmethod
    def load(cls, folder: Path) -> SparseBM25:
        params = json.loads((folder / "params.index.json").read_text())
        if params.get("method") in ("bm25l", "bm25+"):  # need a non-occurrence array
            raise IndexMismatch(f"BM25 variant {params['method']} is not supported")
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        arrays = {
            name: np.load(folder / f"{name}.csc.index.npy", mmap_mode="r")
            for name in ("data", "indices", "indptr")
        }
        return cls(vocab, arrays["data"], arrays["indices"], arrays["indptr"], params["num_docs"])

    def scores(self, term_ids: Sequence[int]) -> np.ndarray:
        """BM25 score of every passage for the query terms (repeats count, as in bm25s)."""
        out = np.zeros(self.num_docs, dtype=self.data.dtype)
        for t in term_ids:
            lo, hi = int(self.indptr[t]), int(self.indptr[t + 1])
            out[self.indices[lo:hi]] += self.data[lo:hi]  # one posting per passage and term
        return out
