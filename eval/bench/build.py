"""Section build: embedding throughput (worker_embed) and the stage times of a real build of
seeds/ (worker_build_seeds)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from .code import Code, _worker
from .scale import synthetic_folder
from .sections import SectionRun


def _sample_passages(count: int, synthetic_index: Path | None) -> list[str]:
    """Passage texts to embed: the synthetic corpus's when built (distinct real-sentence text),
    else the seeds' passages repeated."""
    from qa.index.store import current_build, read_passages

    if synthetic_index is not None and (build := current_build(synthetic_index)) is not None:
        texts = []
        with (build / "passages.jsonl").open("rb") as fh:
            for line in fh:
                texts.append(json.loads(line)["text"])
                if len(texts) >= count:
                    break
        return texts
    from qa.answer.engine import DEFAULT_CORPUS, default_index_dir

    build = current_build(default_index_dir(DEFAULT_CORPUS))
    assert build is not None
    seeds = [p.text for p in read_passages(build / "passages.jsonl")]
    return [seeds[i % len(seeds)] for i in range(count)]


def build_head(run: SectionRun) -> dict[str, Any]:
    """The passages to embed, written to the scratch folder for the workers."""
    args = run.args
    synthetic = synthetic_folder(args.passages, args.seed, args.flat_max) / "index"
    texts = _sample_passages(args.embed_passages, synthetic)
    (run.tmp / "texts.json").write_text(json.dumps(texts))
    return {"passages": len(texts)}


def build_embed(run: SectionRun, code: Code) -> dict[str, Any]:
    texts = str(run.tmp / "texts.json")
    return _worker("embed", "--engine", "current", "--texts", texts, code=code)


def build_baseline(run: SectionRun) -> dict[str, Any]:
    return _worker("embed", "--engine", "baseline", "--texts", str(run.tmp / "texts.json"))


def build_seeds(run: SectionRun, out: dict[str, Any]) -> None:
    out["current"]["seeds_build"] = _worker("build-seeds")


def worker_embed(engine_name: str, texts_path: Path) -> dict[str, Any]:
    import numpy as np

    texts = json.loads(texts_path.read_text())
    if engine_name == "current":
        from qa.answer.engine import INDEX_ROOT
        from qa.index.build import _encode
        from qa.index.embedding import OnnxEncoder, ensure_onnx

        encoder: Any = OnnxEncoder(ensure_onnx(INDEX_ROOT / "models"))

        def embed(items: list[str]) -> Any:
            return _encode(encoder, items, "embedding passages")

    else:
        from eval.bench_baseline import TorchEncoder

        encoder = TorchEncoder()

        def embed(items: list[str]) -> Any:
            return encoder.encode(items)

    embed(texts[:32])  # warm-up
    started = time.perf_counter()
    vectors = embed(texts)
    seconds = time.perf_counter() - started
    tokens = sum(len(t.split()) for t in texts)
    return {
        "seconds": round(seconds, 2),
        "passages_per_s": round(len(texts) / seconds, 1),
        "words_per_passage": round(tokens / len(texts), 1),
        "norm_ok": bool(np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)),
    }


def worker_build_seeds() -> dict[str, Any]:
    """`qa index --rebuild` of seeds/ into a scratch folder: stage times of a real build."""
    from qa.answer.engine import DEFAULT_CORPUS, INDEX_ROOT
    from qa.index.build import build_index
    from qa.index.embedding import OnnxEncoder, ensure_onnx

    encoder = OnnxEncoder(ensure_onnx(INDEX_ROOT / "models"))
    with tempfile.TemporaryDirectory() as tmp:
        report = build_index(DEFAULT_CORPUS, Path(tmp) / "index", encoder)
    stages = report.stages
    # one embedding stage since the Ray build (older code timed passages and sentences apart)
    embed = stages.get("embed") or stages["embed_passages"] + stages["embed_sentences"]
    texts = report.counts["passages"] + report.counts["sentences"]
    return {
        "seconds": round(report.seconds, 2),
        "stages_s": stages,
        "passages": report.counts["passages"],
        "sentences": report.counts["sentences"],
        "passages_per_s": round(report.counts["passages"] / embed, 1),  # with their sentences
        "texts_per_s": round(texts / embed, 1),
    }
