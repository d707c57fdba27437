"""Section scale: the synthetic corpus and its index (cached under index/bench/), FAISS,
retrieval and `ask` over it (worker_scale), recall against exact search."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .code import _worker
from .common import CACHE, GOLD, _log, _questions, _summary, memory
from .sections import SectionRun


def synthetic_folder(passages: int, seed: int, flat_max: int | None) -> Path:
    suffix = "" if flat_max is None else f"-f{flat_max}"
    return CACHE / f"synthetic-{passages}-s{seed}{suffix}"


def synthetic_index(
    passages: int, seed: int, flat_max: int | None
) -> tuple[Path, Path, dict[str, Any]]:
    """The synthetic corpus and its index (built once, then reused from index/bench/)."""
    from eval.synthetic import recombining_encoder, write_corpus
    from qa.answer.engine import INDEX_ROOT, ensure_index
    from qa.index import vector_index

    folder = synthetic_folder(passages, seed, flat_max)
    corpus, index = folder / "corpus", folder / "index"
    info_path = folder / "build.json"
    marker = folder / "corpus.json"
    info: dict[str, Any] = {}
    if not marker.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        _log(f"writing a synthetic corpus of {passages} passages")
        started = time.perf_counter()
        stats = write_corpus(corpus, passages, seed)
        stats["seconds"] = round(time.perf_counter() - started, 1)
        marker.write_text(json.dumps(stats))
    encoder = recombining_encoder(INDEX_ROOT / "models", CACHE)
    if flat_max is not None:
        vector_index.FLAT_MAX = flat_max
    report = ensure_index(corpus, index, encoder)
    if report is not None:
        _log(f"built the synthetic index in {report.seconds:.0f} s")
        info = {"seconds": round(report.seconds, 1), "stages_s": report.stages, "built": True}
        info_path.write_text(json.dumps(info))
    elif info_path.is_file():
        info = {**json.loads(info_path.read_text()), "built": False}
    info["corpus"] = json.loads(marker.read_text())
    return corpus, index, info


def scale_figures(run: SectionRun) -> dict[str, Any]:
    """FAISS and retrieval over all questions of both gold sets; whole answers (`ask`) for the
    first --questions of them. The current code only; "exact" is the reference search."""
    import numpy as np

    from qa.answer.engine import INDEX_ROOT
    from qa.index.embedding import OnnxEncoder, ensure_onnx
    from qa.index.store import current_build, read_manifest

    args, baseline = run.args, run.baseline
    passages, seed, flat_max, limit = args.passages, args.seed, args.flat_max, args.questions
    corpus, index, info = synthetic_index(passages, seed, flat_max)
    build = current_build(index)
    assert build is not None
    manifest = read_manifest(build)
    questions = _questions(GOLD)
    folder = index.parent
    queries = folder / "queries.npy"
    np.save(queries, OnnxEncoder(ensure_onnx(INDEX_ROOT / "models")).encode(questions))
    qfile = folder / "questions.json"
    qfile.write_text(json.dumps(questions))
    common = ["--corpus", str(corpus), "--index", str(index), "--queries", str(queries)]
    common += ["--texts", str(qfile), "--limit", str(limit)]
    out: dict[str, Any] = {
        "passages": manifest["counts"]["passages"],
        "sentences": manifest["counts"]["sentences"],
        "documents": manifest["counts"]["documents"],
        "vector_index": manifest["vector_index"],
        "build": info,
        "disk_mib": round(sum(p.stat().st_size for p in build.rglob("*") if p.is_file()) / 2**20),
        "vectors": "recombined real embeddings (eval/synthetic.py), not model outputs",
        "questions": len(questions),
    }
    _log("scale: current engine")
    out["current"] = _worker("scale", "--engine", "current", *common, "--ids", str(folder / "c"))
    # exact search over the same vectors: the recall reference (and the baseline's search)
    _log("scale: exact search" + (" and the baseline engine" if baseline else ""))
    out["exact"] = _worker(
        "scale",
        "--engine",
        "baseline" if baseline else "exact",
        *common,
        "--ids",
        str(folder / "e"),
    )
    found = np.load(folder / "c.npz")
    exact = np.load(folder / "e.npz")
    out["recall_at_10"] = {
        kind: _recall(found[f"{kind}_scores"], exact[f"{kind}_scores"], found[f"{kind}_ids"])
        for kind in ("passages", "sentences")
    }
    return out


def _recall(scores: Any, exact_scores: Any, ids: Any) -> float:
    """Tie-aware recall@10: a returned id counts when its (exact) score reaches the exact 10th
    score. HNSW-Flat returns exact inner products, so its scores can be compared directly."""
    import numpy as np

    kth = exact_scores[:, -1][:, None]
    hits = (scores >= kth - 1e-5) & (ids >= 0)
    return round(float(np.minimum(hits.sum(1), 10).sum() / (10 * len(scores))), 4)


def worker_scale(
    engine_name: str,
    corpus: Path,
    index: Path,
    queries_path: Path,
    qfile: Path,
    ids_out: Path,
    limit: int,
) -> dict[str, Any]:
    import numpy as np

    from qa.index.store import current_build

    queries = np.load(queries_path)
    questions = json.loads(qfile.read_text())
    build = current_build(index)
    assert build is not None
    out: dict[str, Any] = {"memory_start": memory()}
    started = time.perf_counter()
    if engine_name == "current":
        from qa.answer.engine import INDEX_ROOT, Engine
        from qa.answer.reader import Reader
        from qa.index.embedding import OnnxEncoder, ensure_onnx
        from qa.index.store import load

        reader = Reader()
        encoder: Any = OnnxEncoder(ensure_onnx(INDEX_ROOT / "models"))
        engine: Any = Engine(corpus, load(build), encoder, reader)
        reader.ready()
    else:
        from eval.bench_baseline import BaselineEngine, TorchEncoder

        if engine_name == "baseline":
            engine = BaselineEngine(corpus, build, encoder=TorchEncoder())
        else:  # exact search only: no models
            engine = BaselineEngine(corpus, build, encoder=_NoEncoder(), reader=_NoReader())
    out["open_s"] = round(time.perf_counter() - started, 3)
    out["memory_open"] = memory()
    store = engine.store
    results = {}
    for kind, index_obj, k in (
        ("passages", store.dense, 10),
        ("sentences", store.sentence_dense, 10),
    ):
        index_obj.search(queries[:5], k)  # warm-up
        lat, all_ids, all_scores = [], [], []
        for q in queries:
            t = time.perf_counter()
            scores, ids = index_obj.search(q[None, :], k)
            lat.append((time.perf_counter() - t) * 1000)
            all_ids.append(ids[0])
            all_scores.append(scores[0])
        out[f"faiss_{kind}"] = _summary(lat)
        results[f"{kind}_ids"] = np.vstack(all_ids)
        results[f"{kind}_scores"] = np.vstack(all_scores)
    np.savez(ids_out, **results)
    if engine_name != "exact":
        retriever = engine.retriever
        lat = []
        for q, vec in zip(questions, queries, strict=True):
            t = time.perf_counter()
            retriever.search(q, vec, 8)
            lat.append((time.perf_counter() - t) * 1000)
        out["retrieval"] = _summary(lat)
        for q in questions[:10]:
            engine.ask(q)
        lat = []
        for q in questions[:limit]:  # the first `limit` (whole answers read by the model)
            t = time.perf_counter()
            engine.ask(q)
            lat.append((time.perf_counter() - t) * 1000)
        out["ask"] = _summary(lat)
    out["memory_end"] = memory()
    return out


class _NoEncoder:
    """For exact-search-only runs: the baseline engine without loading a model."""

    name = "none"
    dim = 384
    max_seq_length = 256
    fingerprint = ""

    def encode(self, texts: Sequence[str]) -> Any:
        raise RuntimeError("no encoder in this run")

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [0 for _ in texts]


class _NoReader:
    """For exact-search-only runs: no reading model either."""

    def read(self, question: str, sentences: Sequence[str]) -> list[Any]:
        raise RuntimeError("no reader in this run")
