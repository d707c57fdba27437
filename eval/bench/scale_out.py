"""Section scale-out: one synthetic corpus built in one process and by `qa index --ray` with
one and two encoder workers (worker_scale_out)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from .code import _worker
from .common import _log
from .sections import SectionRun


def scale_out(run: SectionRun) -> dict[str, Any]:
    """One synthetic corpus built three ways: in this process (onnxruntime on every core), and
    by `qa index --ray` on a local Ray runtime with one and with two single-threaded encoder
    worker processes. Each build runs in a fresh process."""
    from eval.synthetic import write_corpus

    corpus = run.tmp / "corpus"
    write_corpus(corpus, run.args.scale_out_passages, run.args.seed)
    out: dict[str, Any] = {"passages": run.args.scale_out_passages}
    for workers in (0, 1, 2):
        name = "single_process" if workers == 0 else f"ray_{workers}"
        _log(f"scale-out: {name}")
        out[name] = _worker("scale-out", "--corpus", str(corpus), "--workers", str(workers))
    out["speedup_2_vs_1"] = round(
        out["ray_2"]["embed_texts_per_s"] / out["ray_1"]["embed_texts_per_s"], 2
    )
    return out


def worker_scale_out(corpus: Path, workers: int) -> dict[str, Any]:
    """Build ``corpus`` (``workers`` 0: in this process; else on a local Ray runtime with that
    many encoder workers) and report the embedding stage's throughput and peak memory."""
    import resource
    from contextlib import nullcontext

    from qa.answer.engine import INDEX_ROOT
    from qa.index.build import build_index
    from qa.index.embedding import OnnxEncoder, ensure_onnx

    encoder = OnnxEncoder(ensure_onnx(INDEX_ROOT / "models"))
    builder: Any = None
    if workers:
        from qa.index.ray_build import RayBuilder

        builder = RayBuilder(None, workers)
    with tempfile.TemporaryDirectory() as tmp, builder or nullcontext():
        report = build_index(corpus, Path(tmp) / "index", encoder, builder=builder)
    texts = report.counts["passages"] + report.counts["sentences"]
    embed = report.stages["embed"]
    out: dict[str, Any] = {
        "passages": report.counts["passages"],
        "texts": texts,
        "seconds": round(report.seconds, 1),
        "stages_s": report.stages,
        "embed_texts_per_s": round(texts / embed, 1),
        "embed_passages_per_s": round(report.counts["passages"] / embed, 1),  # with sentences
        "driver_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if builder is not None:
        out["workers"] = [
            {
                "texts": int(w["texts"]),
                "texts_per_s": round(w["texts"] / w["seconds"], 1),
                "peak_mb": round(w["peak_mb"]),
            }
            for w in builder.workers_seen.values()
        ]
    return out
