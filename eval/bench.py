"""The performance benchmark: the straightforward approach and the current code, side by side, in
one run, every measurement in a fresh process.

    python -m eval.bench                         # every figure; ~10 min on 2 cores (first run
                                                 # also builds the 100k synthetic index, cached)
    python -m eval.bench --passages 1000000 --only scale --out eval/bench-1m.json   # 1M run
    python -m eval.bench --smoke                 # seconds: tiny sizes, no torch baseline

Prints a table (figure, target, baseline, current, ratio, met) and saves everything measured to
eval/reports/bench.json (or --out). The baseline is eval/bench_baseline.py: sentence-transformers
and torch on the query path, everything read eagerly, exact flat search, bm25s, no batching. The
scale figures use a synthetic corpus of real sentences (eval/synthetic.py) whose vectors are
recombined real embeddings, not model outputs; questions are always encoded by the real model.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
REPORTS = PROJECT / "eval" / "reports"
CACHE = PROJECT / "index" / "bench"
GOLD = (PROJECT / "eval" / "gold" / "seeds.jsonl", PROJECT / "eval" / "gold" / "licenses.jsonl")
ONE_MILLION = PROJECT / "eval" / "bench-1m.json"
QUESTION = "who led the 2014 Kassab offensive?"
SECTIONS = ("cold", "inproc", "http", "build", "scale")


# ---------------------------------------------------------------- helpers


def _questions(paths: Sequence[Path] = GOLD[:1]) -> list[str]:
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return out


def _pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _summary(ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 3),
        "p90_ms": round(_pct(ms, 0.90), 3),
        "p99_ms": round(_pct(ms, 0.99), 3),
        "max_ms": round(max(ms), 3),
    }


def memory() -> dict[str, float]:
    """This process's memory from /proc (MiB): resident, of which anonymous and file-backed
    (memory-mapped index files are file-backed: shared page cache), and the peak."""
    fields = {"VmRSS": "rss", "RssAnon": "anon", "RssFile": "file", "VmHWM": "peak_rss"}
    out = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key = line.split(":")[0]
            if key in fields:
                out[fields[key] + "_mib"] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return out


def _load() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return float("nan")


def _worker(name: str, *args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run ``python -m eval.bench --worker NAME ARGS`` and return the JSON it prints."""
    cmd = [sys.executable, "-m", "eval.bench", "--worker", name, *args]
    done = subprocess.run(
        cmd, cwd=PROJECT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {name} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _bin(name: str) -> list[str]:
    """The console script ``name`` of this environment (as a user runs it)."""
    script = Path(sys.executable).parent / name
    if script.is_file():
        return [str(script)]
    entry = "ask_main" if name == "ask" else "main"
    return [sys.executable, "-c", f"import sys; from qa.cli import {entry}; {entry}()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- cold start


def _timed_run(cmd: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"{cmd[0]} failed: {done.stderr[-2000:]}")
    return seconds


def _imports_torch(cmd: list[str]) -> bool:
    """Does the command import torch (or sentence_transformers)? Checked with -X importtime."""
    if cmd[0] != sys.executable:  # a console script: run its entry point under importtime
        cmd = [sys.executable, "-X", "importtime", *cmd]
    else:
        cmd = [sys.executable, "-X", "importtime", *cmd[1:]]
    done = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True, check=False)
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return "torch" in names or "sentence_transformers" in names


def bench_cold(runs: int, baseline: bool) -> dict[str, Any]:
    ask = _bin("ask")
    current = [*ask, QUESTION]
    _timed_run(current)  # warm the file cache and build the index if needed
    out: dict[str, Any] = {"question": QUESTION, "runs": runs}
    times = [_timed_run(current) for _ in range(runs)]
    out["current"] = {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "torch_on_help": _imports_torch([*ask, "--help"]),
        "torch_on_ask": _imports_torch(current),
    }
    python_numpy = [
        _timed_run([sys.executable, "-c", "import numpy; print(1)"]) for _ in range(runs)
    ]
    out["python_numpy_median_s"] = round(statistics.median(python_numpy), 3)
    if baseline:
        base = [sys.executable, "-m", "eval.bench_baseline", "ask", QUESTION]
        _timed_run(base)
        times = [_timed_run(base) for _ in range(runs)]
        out["baseline"] = {
            "median_s": round(statistics.median(times), 3),
            "min_s": round(min(times), 3),
            "max_s": round(max(times), 3),
            "torch_on_ask": _imports_torch(base),
        }
    return out


# ---------------------------------------------------------------- in-process


def bench_inproc(limit: int, baseline: bool) -> dict[str, Any]:
    args = ["--limit", str(limit)]
    out = {"current": _worker("inproc", "--engine", "current", *args)}
    if baseline:
        out["baseline"] = _worker("inproc", "--engine", "baseline", *args)
        same = sum(
            a == b
            for a, b in zip(out["current"]["answers"], out["baseline"]["answers"], strict=True)
        )
        out["same_answers"] = f"{same}/{len(out['current']['answers'])}"
    for side in ("current", "baseline"):
        if side in out:
            out[side].pop("answers")
    return out


def worker_inproc(engine_name: str, limit: int) -> dict[str, Any]:
    questions = _questions()[:limit]
    started = time.perf_counter()
    if engine_name == "current":
        from qa.engine import DEFAULT_CORPUS, Engine

        engine: Any = Engine.open(DEFAULT_CORPUS)
    else:
        from eval.bench_baseline import open_baseline
        from qa.engine import DEFAULT_CORPUS

        engine = open_baseline(DEFAULT_CORPUS)
    opened = time.perf_counter() - started
    for q in questions[:20]:  # warm-up
        engine.ask(q)
    latencies, stages = [], {"embed": [], "retrieve": [], "compose": []}  # type: ignore[var-annotated]
    answers = []
    for q in questions:
        t = time.perf_counter()
        answer = engine.ask(q)
        latencies.append((time.perf_counter() - t) * 1000)
        answers.append(answer.answer)
        for k in stages:
            stages[k].append(answer.timings_ms.get(k, 0.0))
    return {
        "open_s": round(opened, 3),
        **_summary(latencies),
        "stage_p50_ms": {k: round(statistics.median(v), 3) for k, v in stages.items()},
        "answers": answers,
        "memory": memory(),
    }


# ---------------------------------------------------------------- HTTP


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not become ready")


def _bodies(folder: Path) -> dict[str, Path]:
    questions = _questions()
    paths = {"/ask": folder / "ask.jsonl", "/v1/chat/completions": folder / "chat.jsonl"}
    with paths["/ask"].open("w") as fh:
        for q in questions:
            fh.write(json.dumps({"question": q}) + "\n")
    with paths["/v1/chat/completions"].open("w") as fh:
        for q in questions:
            body = {"model": "qa-extractive", "messages": [{"role": "user", "content": q}]}
            fh.write(json.dumps(body) + "\n")
    return paths


def _serve(cmd: list[str], requests: int, concurrency: int, folder: Path) -> dict[str, Any]:
    port = _free_port()
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)],
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(port, proc)
        out = {}
        for path, bodies in _bodies(folder).items():
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "eval.loadgen",
                    "--url",
                    f"http://127.0.0.1:{port}{path}",
                    "--body-file",
                    str(bodies),
                    "--requests",
                    str(requests),
                    "--concurrency",
                    str(concurrency),
                    "--warmup",
                    str(min(100, requests)),
                ],
                cwd=PROJECT,
                capture_output=True,
                text=True,
                timeout=900,
                check=True,
            )
            out[path] = json.loads(done.stdout)
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def bench_http(requests: int, baseline_requests: int, concurrency: int, baseline: bool) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        out: dict[str, Any] = {
            "concurrency": concurrency,
            "current": _serve([*_bin("qa"), "serve"], requests, concurrency, Path(tmp)),
        }
        if baseline:
            cmd = [sys.executable, "-m", "eval.bench_baseline", "serve"]
            out["baseline"] = _serve(cmd, baseline_requests, concurrency, Path(tmp))
    return out


# ---------------------------------------------------------------- build throughput


def _sample_passages(count: int, synthetic_index: Path | None) -> list[str]:
    """Passage texts to embed: the synthetic corpus's when built (distinct real-sentence text),
    else the seeds' passages repeated."""
    from qa.store import current_build, read_passages

    if synthetic_index is not None and (build := current_build(synthetic_index)) is not None:
        texts = []
        with (build / "passages.jsonl").open("rb") as fh:
            for line in fh:
                texts.append(json.loads(line)["text"])
                if len(texts) >= count:
                    break
        return texts
    from qa.engine import DEFAULT_CORPUS, default_index_dir

    build = current_build(default_index_dir(DEFAULT_CORPUS))
    assert build is not None
    seeds = [p.text for p in read_passages(build / "passages.jsonl")]
    return [seeds[i % len(seeds)] for i in range(count)]


def bench_build(count: int, baseline: bool, synthetic_index: Path | None) -> dict[str, Any]:
    texts = _sample_passages(count, synthetic_index)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "texts.json"
        path.write_text(json.dumps(texts))
        out: dict[str, Any] = {"passages": len(texts)}
        out["current"] = _worker("embed", "--engine", "current", "--texts", str(path))
        if baseline:
            out["baseline"] = _worker("embed", "--engine", "baseline", "--texts", str(path))
    out["current"]["seeds_build"] = _worker("build-seeds")
    return out


def worker_embed(engine_name: str, texts_path: Path) -> dict[str, Any]:
    import numpy as np

    texts = json.loads(texts_path.read_text())
    if engine_name == "current":
        from qa.embedding import OnnxEncoder, ensure_onnx
        from qa.engine import INDEX_ROOT, _encode

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
    from qa.embedding import OnnxEncoder, ensure_onnx
    from qa.engine import DEFAULT_CORPUS, INDEX_ROOT, build_index

    encoder = OnnxEncoder(ensure_onnx(INDEX_ROOT / "models"))
    with tempfile.TemporaryDirectory() as tmp:
        report = build_index(DEFAULT_CORPUS, Path(tmp) / "index", encoder)
    stages = report.stages
    return {
        "seconds": round(report.seconds, 2),
        "stages_s": stages,
        "passages": report.counts["passages"],
        "sentences": report.counts["sentences"],
        "passages_per_s": round(report.counts["passages"] / stages["embed_passages"], 1),
        "texts_per_s": round(
            (report.counts["passages"] + report.counts["sentences"])
            / (stages["embed_passages"] + stages["embed_sentences"]),
            1,
        ),
    }


# ---------------------------------------------------------------- scale


def synthetic_folder(passages: int, seed: int, flat_max: int | None) -> Path:
    suffix = "" if flat_max is None else f"-f{flat_max}"
    return CACHE / f"synthetic-{passages}-s{seed}{suffix}"


def synthetic_index(
    passages: int, seed: int, flat_max: int | None
) -> tuple[Path, Path, dict[str, Any]]:
    """The synthetic corpus and its index (built once, then reused from index/bench/)."""
    from eval.synthetic import recombining_encoder, write_corpus
    from qa import store
    from qa.engine import INDEX_ROOT, ensure_index

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
        store.FLAT_MAX = flat_max
    report = ensure_index(corpus, index, encoder)
    if report is not None:
        _log(f"built the synthetic index in {report.seconds:.0f} s")
        info = {"seconds": round(report.seconds, 1), "stages_s": report.stages, "built": True}
        info_path.write_text(json.dumps(info))
    elif info_path.is_file():
        info = {**json.loads(info_path.read_text()), "built": False}
    info["corpus"] = json.loads(marker.read_text())
    return corpus, index, info


def bench_scale(passages: int, seed: int, baseline: bool, flat_max: int | None) -> dict[str, Any]:
    import numpy as np

    from qa.embedding import OnnxEncoder, ensure_onnx
    from qa.engine import INDEX_ROOT
    from qa.store import current_build, read_manifest

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
    common += ["--texts", str(qfile)]
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
    engine_name: str, corpus: Path, index: Path, queries_path: Path, qfile: Path, ids_out: Path
) -> dict[str, Any]:
    import numpy as np

    from qa.store import current_build

    queries = np.load(queries_path)
    questions = json.loads(qfile.read_text())
    build = current_build(index)
    assert build is not None
    out: dict[str, Any] = {"memory_start": memory()}
    started = time.perf_counter()
    if engine_name == "current":
        from qa.embedding import OnnxEncoder, ensure_onnx
        from qa.engine import INDEX_ROOT, Engine
        from qa.store import load

        engine: Any = Engine(corpus, load(build), OnnxEncoder(ensure_onnx(INDEX_ROOT / "models")))
    else:
        from eval.bench_baseline import BaselineEngine, TorchEncoder

        encoder = TorchEncoder() if engine_name == "baseline" else _NoEncoder()
        engine = BaselineEngine(corpus, build, encoder=encoder)
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
        for q in questions:
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


# ---------------------------------------------------------------- the table


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
        return f"{text}{unit}"
    return f"{value}{unit}"


def _row(
    rows: list[dict[str, Any]],
    figure: str,
    target: str,
    baseline: Any,
    current: Any,
    unit: str = "",
    better: str = "lower",
    met: Callable[[Any], bool] | None = None,
) -> None:
    ratio = None
    numbers = isinstance(baseline, int | float) and isinstance(current, int | float)
    if numbers and not isinstance(baseline, bool) and baseline and current:
        ratio = baseline / current if better == "lower" else current / baseline
    rows.append(
        {
            "figure": figure,
            "target": target,
            "baseline": _fmt(baseline, unit),
            "current": _fmt(current, unit),
            "ratio": f"{ratio:.1f}×" if ratio else "",
            "met": "" if met is None else ("yes" if met(current) else "NO"),
        }
    )


def table(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cold = results.get("cold")
    if cold:
        b = cold.get("baseline", {})
        c = cold["current"]
        _row(
            rows,
            f"cold `ask` → printed answer, median of {cold['runs']}",
            "≤ 0.8 s",
            b.get("median_s"),
            c["median_s"],
            " s",
            met=lambda v: v <= 0.8,
        )
        _row(
            rows,
            "  (python -c 'import numpy', for scale)",
            "",
            None,
            cold["python_numpy_median_s"],
            " s",
        )
        _row(
            rows,
            "torch imported by `ask --help`",
            "never",
            None,
            c["torch_on_help"],
            met=lambda v: v is False,
        )
        _row(
            rows,
            "torch imported by `ask QUESTION`",
            "never",
            b.get("torch_on_ask"),
            c["torch_on_ask"],
            met=lambda v: v is False,
        )
    inproc = results.get("inproc")
    if inproc:
        b = inproc.get("baseline", {})
        c = inproc["current"]
        n = c["n"]
        _row(
            rows,
            f"in-process ask p50 (seeds, {n} questions)",
            "≤ 10 ms",
            b.get("p50_ms"),
            c["p50_ms"],
            " ms",
            met=lambda v: v <= 10,
        )
        _row(
            rows,
            "in-process ask p99",
            "≤ 25 ms",
            b.get("p99_ms"),
            c["p99_ms"],
            " ms",
            met=lambda v: v <= 25,
        )
        _row(rows, "  embed / retrieve / compose p50", "", _stages(b), _stages(c))
        if "same_answers" in inproc:
            _row(rows, "  same answer text as baseline", "", None, inproc["same_answers"])
    http = results.get("http")
    if http:
        conc = http["concurrency"]
        for path in ("/ask", "/v1/chat/completions"):
            b = http.get("baseline", {}).get(path, {})
            c = http["current"][path]
            _row(
                rows,
                f"HTTP {path} @{conc}: requests/s ({c['requests']} req)",
                "≥ 200",
                b.get("requests_per_s"),
                c["requests_per_s"],
                "/s",
                better="higher",
                met=lambda v: v >= 200,
            )
            _row(
                rows,
                f"HTTP {path} @{conc}: p99",
                "≤ 100 ms",
                b.get("p99_ms"),
                c["p99_ms"],
                " ms",
                met=lambda v: v <= 100,
            )
            _row(
                rows,
                f"HTTP {path} @{conc}: errors",
                "0",
                b.get("errors"),
                c["errors"],
                met=lambda v: v == 0,
            )
    build = results.get("build")
    if build:
        b = build.get("baseline", {})
        c = build["current"]
        _row(
            rows,
            f"build: embedding throughput ({build['passages']} passages)",
            "≥ 85 /s",
            b.get("passages_per_s"),
            c["passages_per_s"],
            "/s",
            better="higher",
            met=lambda v: v >= 85,
        )
        s = c["seeds_build"]
        _row(
            rows,
            f"  seeds build: {s['passages']} passages + {s['sentences']} sentences",
            "",
            None,
            f"{s['seconds']} s, {s['passages_per_s']} passages/s",
        )
        _row(rows, "  progress shown", "yes", None, "tqdm bar on a terminal")
    for key, label in (("scale", None), ("scale_1m", "1M")):
        scale = results.get(key)
        if scale:
            _scale_rows(rows, scale, label)
    return rows


def _stages(side: dict[str, Any]) -> str | None:
    stages = side.get("stage_p50_ms")
    if not stages:
        return None
    return " / ".join(f"{stages[k]:.2g}" for k in ("embed", "retrieve", "compose")) + " ms"


def _scale_rows(rows: list[dict[str, Any]], scale: dict[str, Any], label: str | None) -> None:
    n = scale["passages"]
    tag = label or (f"{n // 1000}k" if n >= 1000 else str(n))
    c, e = scale["current"], scale["exact"]
    vi = scale["vector_index"]
    kinds = " / ".join(_index_label(v) for v in (vi["passages"], vi["sentences"]))
    source = " (documented run, eval/bench-1m.json)" if label else ""
    _row(
        rows,
        f"scale {tag}{source}: {n} passages, {scale['sentences']} sentences",
        "",
        None,
        f"index: {kinds}",
    )
    for kind in ("passages", "sentences"):
        _row(
            rows,
            f"  {tag} recall@10 vs exact, {kind}",
            "≥ 0.95",
            "1 (exact)",
            scale["recall_at_10"][kind],
            met=lambda v: v >= 0.95,
        )
    for kind in ("passages", "sentences"):
        _row(
            rows,
            f"  {tag} FAISS query p50, {kind}",
            "≤ 20 ms" if label else "",
            e[f"faiss_{kind}"]["p50_ms"],
            c[f"faiss_{kind}"]["p50_ms"],
            " ms",
            met=(lambda v: v <= 20) if label else None,
        )
    if "retrieval" in c:
        _row(
            rows,
            f"  {tag} hybrid retrieval p50 (dense+sentences+BM25)",
            "≤ 20 ms" if label else "",
            e.get("retrieval", {}).get("p50_ms"),
            c["retrieval"]["p50_ms"],
            " ms",
            met=(lambda v: v <= 20) if label else None,
        )
        _row(
            rows,
            f"  {tag} ask p50 / p99 (real question encoding)",
            "",
            _pair(e.get("ask")),
            _pair(c["ask"]),
        )
    _row(rows, f"  {tag} open index", "", e["open_s"], c["open_s"], " s")
    _row(
        rows,
        f"  {tag} memory after queries: RSS",
        "",
        e["memory_end"].get("rss_mib"),
        c["memory_end"].get("rss_mib"),
        " MiB",
    )
    _row(
        rows,
        f"  {tag} … of which private (anon)",
        "",
        e["memory_end"].get("anon_mib"),
        c["memory_end"].get("anon_mib"),
        " MiB",
    )
    _row(rows, f"  {tag} index on disk", "", None, scale["disk_mib"], " MiB")


def _index_label(info: dict[str, Any]) -> str:
    if info["type"] == "ivf-flat":
        return f"IVF{info['lists']},Flat nprobe={info['nprobe']}"
    if info["type"] == "hnsw":
        return f"HNSW{info['M']} ef={info['ef_search']}"
    return "Flat (exact)"


def _pair(summary: dict[str, Any] | None) -> str | None:
    if not summary:
        return None
    return f"{summary['p50_ms']:.3g} / {summary['p99_ms']:.3g} ms"


def render(rows: list[dict[str, Any]]) -> str:
    heads = ("figure", "target", "baseline", "current", "ratio", "met")
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in heads]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(str(r[h]).ljust(w) for h, w in zip(heads, widths, strict=True)))
    return "\n".join(lines)


def markdown(rows: list[dict[str, Any]]) -> str:
    heads = ("figure", "target", "baseline", "current", "ratio", "met")
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for r in rows:
        lines.append("| " + " | ".join(str(r[h]).replace("|", "/") for h in heads) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict[str, Any]:
    only = set(args.only.split(",")) if args.only else set(SECTIONS)
    baseline = not args.no_baseline
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_avg_start": _load(),
        },
        "settings": {k: v for k, v in vars(args).items() if k != "worker"},
    }
    timings = {}

    def section(name: str, fn: Callable[[], Any]) -> None:
        if name not in only:
            return
        _log(f"{name} … (load average {_load()})")
        started = time.perf_counter()
        results[name] = fn()
        timings[name] = round(time.perf_counter() - started, 1)
        results[name]["load_avg_after"] = _load()

    # make sure the seeds index exists before anything is timed
    subprocess.run([*_bin("qa"), "index"], cwd=PROJECT, capture_output=True, check=True)
    section("scale", lambda: bench_scale(args.passages, args.seed, baseline, args.flat_max))
    synthetic = synthetic_folder(args.passages, args.seed, args.flat_max) / "index"
    section("cold", lambda: bench_cold(args.cold_runs, baseline))
    section("inproc", lambda: bench_inproc(args.questions, baseline))
    section(
        "http",
        lambda: bench_http(args.requests, args.baseline_requests, args.concurrency, baseline),
    )
    section("build", lambda: bench_build(args.embed_passages, baseline, synthetic))
    if not args.smoke and ONE_MILLION.is_file() and args.out is None:
        results["scale_1m"] = json.loads(ONE_MILLION.read_text()).get("scale")
    results["section_seconds"] = timings
    results["machine"]["load_avg_end"] = _load()
    return results


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help=f"comma-separated sections of {SECTIONS}")
    ap.add_argument("--passages", type=int, default=100_000, help="synthetic corpus size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--flat-max", type=int, default=None, help="override store.FLAT_MAX")
    ap.add_argument("--cold-runs", type=int, default=7)
    ap.add_argument("--questions", type=int, default=1000, help="in-process question limit")
    ap.add_argument("--requests", type=int, default=3000, help="HTTP requests per endpoint")
    ap.add_argument("--baseline-requests", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--embed-passages", type=int, default=1000)
    ap.add_argument("--no-baseline", action="store_true", help="measure the current code only")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, no baseline (CI)")
    ap.add_argument("--out", type=Path, default=None, help="JSON path (eval/reports/bench.json)")
    ap.add_argument("--render", type=Path, default=None, help="print the table of a saved JSON")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="current", help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, default=1000, help=argparse.SUPPRESS)
    ap.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--queries", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--ids", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(_run_worker(args)))
        return
    if args.smoke:
        args.passages, args.flat_max, args.cold_runs = 3000, 1000, 1
        args.questions, args.requests, args.embed_passages = 30, 200, 64
        args.no_baseline = True
    if args.render:  # re-print the table of a saved run
        results = json.loads(args.render.read_text())
        print(header(results) + "\n" + render(table(results)))
        return
    results = run(args)
    rows = table(results)
    results["table"] = rows
    out = args.out or REPORTS / ("bench-smoke.json" if args.smoke else "bench.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n")
    print(header(results) + "\n" + render(rows))
    print(f"\nsaved {out}")
    (out.with_suffix(".md")).write_text(markdown(rows) + "\n")


def header(results: dict[str, Any]) -> str:
    m = results["machine"]
    took = sum(results.get("section_seconds", {}).values())
    return (
        f"{results['started']}: {m['cpus']} CPUs, Python {m['python']}, load average "
        f"{m['load_avg_start']} → {m.get('load_avg_end')}, sections took {took:.0f} s\n"
    )


def _run_worker(args: argparse.Namespace) -> dict[str, Any]:
    if args.worker == "inproc":
        return worker_inproc(args.engine, args.limit)
    if args.worker == "embed":
        return worker_embed(args.engine, args.texts)
    if args.worker == "build-seeds":
        return worker_build_seeds()
    if args.worker == "scale":
        return worker_scale(
            args.engine, args.corpus, args.index, args.queries, args.texts, args.ids
        )
    raise SystemExit(f"unknown worker {args.worker}")


if __name__ == "__main__":
    main()
