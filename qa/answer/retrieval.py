"""Hybrid retrieval: dense passages, dense sentences and BM25, fused by reciprocal rank.

Three rankings of the passages are fused: FAISS inner product of the question with each passage,
with each passage's best sentence (so one sharp sentence inside a long passage still surfaces),
and BM25 over the passages' stemmed terms. BM25 is scored from the saved sparse arrays with numpy
(qa.index.bm25.SparseBM25); the top of each ranking is found with a partial sort, so a query costs
the same whether the index holds a hundred passages or a million.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.core.text import terms
from qa.index.store import StoredIndex

RRF_K = 60  # the constant of reciprocal-rank fusion (Cormack et al., 2009)
# Queries searched per FAISS call. Below faiss's BLAS threshold (20) an exact index scores each
# query on its own, so batched answers are bit-identical to one-at-a-time answers.
FAISS_BATCH = 16


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


def top_positive(scores: np.ndarray, depth: int) -> np.ndarray:
    """Rows of the ``depth`` highest positive scores, best first, ties by row: the same rows,
    in the same order, as ``np.argsort(-scores, kind="stable")[:depth]`` without the zeros,
    at the cost of a partial sort."""
    rows = np.flatnonzero(scores > 0)
    if len(rows) > depth:
        values = scores[rows]
        kth = np.partition(values, len(values) - depth)[len(values) - depth]
        rows = rows[values >= kth]  # every row tied with the depth-th score stays in the race
    order = np.lexsort((rows, -scores[rows]))
    return rows[order][:depth]


class HybridRetriever:
    def __init__(self, store: StoredIndex, depth: int = 50) -> None:
        self.store = store
        self.depth = depth
        self._vocab = store.bm25.vocab

    def _dense_many(self, vectors: np.ndarray) -> list[tuple[dict[int, float], dict[int, float]]]:
        store = self.store
        q = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
        p_k = min(self.depth, store.dense.ntotal)
        s_k = min(self.depth * 2, store.sentence_dense.ntotal)
        out = []
        for lo in range(0, len(q), FAISS_BATCH):
            chunk = q[lo : lo + FAISS_BATCH]
            p_sims, p_ids = store.dense.search(chunk, p_k)
            s_sims, s_ids = store.sentence_dense.search(chunk, s_k)
            for row in range(len(chunk)):
                passages = {
                    int(i): float(s) for i, s in zip(p_ids[row], p_sims[row], strict=True) if i >= 0
                }
                sentences: dict[int, float] = {}
                for i, s in zip(s_ids[row], s_sims[row], strict=True):
                    if i >= 0:
                        p = int(store.sentence_passage[i])
                        sentences[p] = max(sentences.get(p, -1.0), float(s))
                out.append((passages, sentences))
        return out

    def _lexical(self, query: str) -> dict[int, float]:
        ids = [self._vocab[t] for t in terms(query) if t in self._vocab]
        if not ids:
            return {}
        scores = self.store.bm25.scores(ids)
        return {int(i): float(scores[i]) for i in top_positive(scores, self.depth)}

    def _fuse(
        self,
        vector: np.ndarray,
        dense: dict[int, float],
        by_sentence: dict[int, float],
        lexical: dict[int, float],
        k: int,
    ) -> list[Hit]:
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

    def search(self, query: str, vector: np.ndarray, k: int) -> list[Hit]:
        return self.search_many([query], vector.reshape(1, -1), k)[0]

    def search_many(self, queries: Sequence[str], vectors: np.ndarray, k: int) -> list[list[Hit]]:
        """``search`` for several questions at once: one FAISS call per batch of questions."""
        if not len(self.store.passages):
            return [[] for _ in queries]
        dense = self._dense_many(vectors)
        return [
            self._fuse(vec, d, s, self._lexical(q), k)
            for q, vec, (d, s) in zip(queries, vectors, dense, strict=True)
        ]
