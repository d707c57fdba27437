"""The straightforward approach, kept runnable so the benchmark can measure it in the same run.

Same index files, same answer composer (qa.answer.composer) and the same reading model
(qa.answer.reader.Reader, the shipped ONNX cross-encoder on onnxruntime: the reader is shared, not
part of what the baseline does differently), but done the obvious way: the embedding model loaded
with sentence-transformers (torch on the query path), the whole index read into memory at start
(passages decoded, FAISS indexes read, bm25s loaded with scipy), exact flat search, BM25 scored by
bm25s with a full sort, and one question at a time (no batching).

    python -m eval.bench_baseline ask "who led the 2014 Kassab offensive?"
    python -m eval.bench_baseline serve --port 8001   # the HTTP app over it, no batching
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class TorchEncoder:
    """all-MiniLM-L6-v2 through sentence-transformers and torch."""

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        from qa.index.embedding import MODEL_NAME, model_dir

        self.model = SentenceTransformer(str(model_dir()), device="cpu")
        self.name = MODEL_NAME
        self.dim = int(self.model.get_embedding_dimension() or 0)
        self.max_seq_length = int(self.model.max_seq_length or 0)
        self.fingerprint = ""

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return np.asarray(
            self.model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ),
            dtype=np.float32,
        )

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        tok = self.model.tokenizer
        return [len(tok(t, add_special_tokens=True)["input_ids"]) for t in texts]


def _exact(index: Any) -> Any:
    """An exact IndexFlatIP with the vectors of ``index`` (itself when it is flat already)."""
    import faiss

    if isinstance(index, faiss.IndexFlat):
        return index
    flat = faiss.IndexFlatIP(index.d)
    if index.ntotal:
        flat.add(index.reconstruct_n(0, index.ntotal))
    return flat


class BaselineRetriever:
    """Dense passages + dense sentences + BM25 fused by RRF, as first written."""

    def __init__(self, store: Any, bm25: Any, depth: int = 50) -> None:
        self.store = store
        self.bm25 = bm25
        self.depth = depth
        self._known = set(bm25.vocab_dict)

    def search(self, query: str, vector: np.ndarray, k: int) -> list[Any]:
        from qa.answer.retrieval import RRF_K, Hit, _ranked
        from qa.core.text import terms

        if not self.store.passages:
            return []
        q = vector.reshape(1, -1).astype(np.float32)
        sims, ids = self.store.dense.search(q, min(self.depth, self.store.dense.ntotal))
        dense = {int(i): float(s) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0}
        by_sentence: dict[int, float] = {}
        n = self.store.sentence_dense.ntotal
        sims, ids = self.store.sentence_dense.search(q, min(self.depth * 2, n))
        for i, s in zip(ids[0], sims[0], strict=True):
            if i >= 0:
                p = int(self.store.sentence_passage[i])
                by_sentence[p] = max(by_sentence.get(p, -1.0), float(s))
        lexical: dict[int, float] = {}
        q_terms = [t for t in terms(query) if t in self._known]
        if q_terms:
            scores = self.bm25.get_scores(q_terms)
            top = np.argsort(-scores, kind="stable")[: self.depth]
            lexical = {int(i): float(scores[i]) for i in top if scores[i] > 0}
        fused: dict[int, float] = {}
        for ranking in (dense, by_sentence, lexical):
            for rank, i in enumerate(_ranked(ranking)):
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = _ranked(fused)[:k]
        missing = [i for i in best if i not in dense]
        if missing:
            vecs = np.vstack([self.store.dense.reconstruct(i) for i in missing])
            for i, s in zip(missing, vecs @ vector, strict=True):
                dense[i] = float(s)
        return [Hit(i, fused[i], dense[i], lexical.get(i, 0.0)) for i in best]


class BaselineEngine:
    """Everything loaded eagerly; one question at a time. The reading model is the current
    code's (``reader``, default: a new ``qa.answer.reader.Reader()``), shared with the engine."""

    def __init__(
        self, corpus: Path, build: Path, encoder: Any | None = None, reader: Any | None = None
    ) -> None:
        import bm25s
        import faiss

        from qa.answer.composer import Composer
        from qa.answer.reader import Reader
        from qa.answer.settings import ComposerSettings
        from qa.index.store import StoredIndex, read_manifest, read_passages
        from qa.ingest.corpus import decode

        self.corpus = corpus
        self.reader = reader or Reader()  # loads in a background thread meanwhile
        self.encoder = encoder or TorchEncoder()
        manifest = read_manifest(build)
        passages = read_passages(build / "passages.jsonl")
        vectors = np.load(build / "sentences.npy")
        dense = _exact(faiss.read_index(str(build / "index.faiss")))
        sentence_dense = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            sentence_dense.add(vectors)
        bm25 = bm25s.BM25.load(str(build / "bm25"), mmap=False, show_progress=False)
        idf = json.loads((build / "idf.json").read_text())
        counts = np.array([len(p.sentences) for p in passages], dtype=np.int64)
        base = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else counts
        owner = np.repeat(np.arange(len(passages), dtype=np.int64), counts)
        self.store = StoredIndex(
            build, manifest, passages, vectors, base, dense, sentence_dense, owner, bm25, idf
        )
        self.index_version: str = manifest["index_version"]
        self.texts: dict[str, str] = {}
        for name in sorted({p.source for p in passages}):
            text = decode(corpus / name)
            if text is not None:
                self.texts[name] = text
        self.retriever = BaselineRetriever(self.store, bm25)
        self.composer = Composer(self.store, self.texts, self.reader, ComposerSettings.tuned())
        if isinstance(self.reader, Reader):
            self.reader.ready()

    def ask(self, question: str) -> Any:
        from qa.answer.engine import check_question

        q = check_question(question)
        t0 = time.perf_counter()
        vec = self.encoder.encode([q])[0]
        t1 = time.perf_counter()
        hits = self.retriever.search(q, vec, k=self.composer.settings.passages)
        t2 = time.perf_counter()
        answer = self.composer.compose(q, vec, hits, self.index_version)
        t3 = time.perf_counter()
        timings = {"embed": t1 - t0, "retrieve": t2 - t1, "compose": t3 - t2}
        return replace(answer, timings_ms={k: round(v * 1000, 3) for k, v in timings.items()})

    def ask_many(self, questions: Sequence[str]) -> list[Any]:
        return [self.ask(q) for q in questions]

    def paragraph(self, source: str, number: int) -> Any:
        from qa.answer.engine import paragraph_of

        return paragraph_of(self.texts, source, number)


def open_baseline(corpus: Path, index: Path | None = None) -> BaselineEngine:
    from qa.answer.engine import default_index_dir
    from qa.core.errors import IndexCorrupt
    from qa.index.store import current_build

    build = current_build(index or default_index_dir(corpus))
    if build is None:
        raise IndexCorrupt(f"no index for {corpus}: build it first with qa index")
    return BaselineEngine(corpus, build)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m eval.bench_baseline", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask")
    ask.add_argument("question")
    serve = sub.add_parser("serve")
    serve.add_argument("--port", type=int, default=8001)
    for p in (ask, serve):
        p.add_argument("--corpus", type=Path, default=None)
        p.add_argument("--index", type=Path, default=None)
    args = ap.parse_args(argv)
    from qa.answer.engine import DEFAULT_CORPUS

    corpus = args.corpus or DEFAULT_CORPUS
    if args.command == "ask":
        from qa.answer.render import render

        engine = open_baseline(corpus, args.index)
        sys.stdout.write(render("answer.txt.j2", answer=engine.ask(args.question)) + "\n")
        return
    import uvicorn

    from qa.serve.app import create_app
    from qa.serve.batching import Limits

    engine = open_baseline(corpus, args.index)
    app = create_app(lambda: engine, limits=Limits(batch_window_s=0.0, max_batch=1))
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
