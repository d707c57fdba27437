"""Hybrid retrieval: dense passages, dense sentences and BM25, fused by reciprocal rank.

Three rankings of the passages are fused: FAISS inner product of the question with each passage,
with each passage's best sentence (so one sharp sentence inside a long passage still surfaces),
and BM25 over the passages' stemmed terms.
"""

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


def _ranked(scores: dict[int, float]) -> list[int]:
    return sorted(scores, key=lambda i: (-scores[i], i))


class HybridRetriever:
    def __init__(self, store: StoredIndex, depth: int = 50) -> None:
        self.store = store
        self.depth = depth
        self._known = set(store.bm25.vocab_dict)

    def _dense(self, vector: np.ndarray) -> tuple[dict[int, float], dict[int, float]]:
        q = vector.reshape(1, -1).astype(np.float32)
        sims, ids = self.store.dense.search(q, min(self.depth, self.store.dense.ntotal))
        passages = {int(i): float(s) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0}
        sentences: dict[int, float] = {}
        n = self.store.sentence_dense.ntotal
        sims, ids = self.store.sentence_dense.search(q, min(self.depth * 2, n))
        for i, s in zip(ids[0], sims[0], strict=True):
            if i >= 0:
                p = int(self.store.sentence_passage[i])
                sentences[p] = max(sentences.get(p, -1.0), float(s))
        return passages, sentences

    def _lexical(self, query: str) -> dict[int, float]:
        q_terms = [t for t in terms(query) if t in self._known]
        if not q_terms:
            return {}
        scores = self.store.bm25.get_scores(q_terms)
        top = np.argsort(-scores, kind="stable")[: self.depth]
        return {int(i): float(scores[i]) for i in top if scores[i] > 0}

    def search(self, query: str, vector: np.ndarray, k: int) -> list[Hit]:
        if not self.store.passages:
            return []
        dense, by_sentence = self._dense(vector)
        lexical = self._lexical(query)
        fused: dict[int, float] = {}
        for ranking in (dense, by_sentence, lexical):
            for rank, i in enumerate(_ranked(ranking)):
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = _ranked(fused)[:k]
        missing = [i for i in best if i not in dense]
        if missing:  # hits from the other rankings still need their passage similarity
            vecs = np.vstack([self.store.dense.reconstruct(i) for i in missing])
            for i, s in zip(missing, vecs @ vector, strict=True):
                dense[i] = float(s)
        return [Hit(i, fused[i], dense[i], lexical.get(i, 0.0)) for i in best]
