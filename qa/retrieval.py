"""Hybrid retrieval: FAISS inner product over unit vectors plus BM25, fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.store import StoredIndex
from qa.text import terms

RRF_K = 60  # the constant of reciprocal-rank fusion (Cormack et al., 2009)


@dataclass(frozen=True, slots=True)
class Hit:
    passage: int  # row in the store
    fused: float  # reciprocal-rank fusion score
    dense: float  # cosine similarity of question and passage
    lexical: float  # BM25 score (0 when BM25 did not rank it)


class Retriever(Protocol):
    def search(self, query: str, vector: np.ndarray, k: int) -> list[Hit]: ...


class HybridRetriever:
    def __init__(self, store: StoredIndex, depth: int = 50) -> None:
        self.store = store
        self.depth = depth
        vocab = store.bm25.vocab_dict
        self._known = set(vocab)

    def search(self, query: str, vector: np.ndarray, k: int) -> list[Hit]:
        n = len(self.store.passages)
        if n == 0:
            return []
        depth = min(self.depth, n)
        sims, ids = self.store.dense.search(vector.reshape(1, -1).astype(np.float32), depth)
        dense = {int(i): float(s) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0}
        lexical: dict[int, float] = {}
        q_terms = [t for t in terms(query) if t in self._known]
        if q_terms:
            scores = self.store.bm25.get_scores(q_terms)
            top = np.argsort(-scores, kind="stable")[:depth]
            lexical = {int(i): float(scores[i]) for i in top if scores[i] > 0}
        fused: dict[int, float] = {}
        for ranking in (dense, lexical):
            ordered = sorted(ranking, key=lambda i: (-ranking[i], i))
            for rank, i in enumerate(ordered):
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        missing = [i for i in best if i not in dense]
        if missing:  # BM25-only hits still need their dense similarity as a feature
            vecs = np.vstack([self.store.dense.reconstruct(i) for i in missing])
            for i, s in zip(missing, vecs @ vector, strict=True):
                dense[i] = float(s)
        return [Hit(i, fused[i], dense[i], lexical.get(i, 0.0)) for i in best]
