"""The performance work: the fast paths give the same results as the straightforward ones the
benchmark compares them with (eval/bench_baseline.py), and the benchmark itself runs (a smoke run at
tiny sizes; the real run is `python -m eval.bench`, see the README, "Performance")."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fakes import PROJECT, HashingEncoder
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.engine import Engine, ensure_index
from qa.retrieval import top_positive
from qa.store import PassageList, SparseBM25, current_build, read_passages, vector_index

MakeCorpus = Callable[..., Path]
QUESTIONS = [
    "How tall is the Carrow Point lighthouse?",
    "Who teaches at the island school?",
    "When is the ferry crossing cancelled?",
    "lighthouse lighthouse keepers",
    "What is the capital of Canada?",
]


# ---------------------------------------------------------------- same results, faster


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 1.5, 2.25, 3.0, 7.0]), max_size=120),
    st.integers(min_value=1, max_value=60),
)
def test_top_positive_is_the_full_stable_sort(values: list[float], depth: int) -> None:
    scores = np.asarray(values, dtype=np.float32)
    full = [int(i) for i in np.argsort(-scores, kind="stable")[:depth] if scores[i] > 0]
    assert top_positive(scores, depth).tolist() == full


def test_numpy_bm25_scores_equal_bm25s(tmp_path: Path) -> None:
    import bm25s

    rng = np.random.default_rng(0)
    vocab = [f"t{i}" for i in range(40)]
    docs = [list(rng.choice(vocab, size=int(rng.integers(1, 30)))) for _ in range(200)]
    model = bm25s.BM25()
    model.index(docs, show_progress=False)
    model.save(str(tmp_path / "bm25"), show_progress=False)
    sparse = SparseBM25.load(tmp_path / "bm25")
    for _ in range(50):
        query = list(rng.choice(vocab, size=int(rng.integers(1, 6))))  # repeats included
        known = [t for t in query if t in model.vocab_dict]
        expected = model.get_scores(known)
        got = sparse.scores([sparse.vocab[t] for t in known])
        assert got.dtype == expected.dtype
        assert np.array_equal(got, expected)


def test_lazy_passages_equal_eager_read(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    ensure_index(make_corpus(), index_dir, fake_encoder)
    build = current_build(index_dir)
    assert build is not None
    eager = read_passages(build / "passages.jsonl")
    rows = np.load(build / "offsets.npy")
    lazy = PassageList(build / "passages.jsonl", rows[:, 0])
    assert len(lazy) == len(eager) > 0
    assert list(lazy) == eager
    assert [lazy[i] for i in reversed(range(len(lazy)))] == eager[::-1]
    assert lazy[-1] == eager[-1] and lazy[1:3] == eager[1:3]
    with pytest.raises(IndexError):
        lazy[len(eager)]


def test_batched_answers_equal_one_at_a_time(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path
) -> None:
    engine = Engine.open(make_corpus(), index_dir=tmp_path / "index", encoder=fake_encoder)
    one_by_one = [engine.ask(q) for q in QUESTIONS]
    batched = engine.ask_many(QUESTIONS * 4)  # more than one FAISS batch
    assert batched == one_by_one * 4


def test_baseline_engine_gives_the_same_answers(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path
) -> None:
    if str(PROJECT) not in sys.path:
        sys.path.insert(0, str(PROJECT))
    from eval.bench_baseline import BaselineEngine

    corpus = make_corpus()
    engine = Engine.open(corpus, index_dir=tmp_path / "index", encoder=fake_encoder)
    build = current_build(tmp_path / "index")
    assert build is not None
    baseline = BaselineEngine(corpus, build, encoder=HashingEncoder())
    assert baseline.ask_many(QUESTIONS) == engine.ask_many(QUESTIONS)


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


# ---------------------------------------------------------------- the benchmark runs


@pytest.mark.slow
def test_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "eval.bench", "--smoke", "--out", str(out)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "cold `ask`" in done.stdout and f"saved {out}" in done.stdout
    results = json.loads(out.read_text())
    figures = " ".join(row["figure"] for row in results["table"])
    for name in ("cold", "in-process", "HTTP /ask", "HTTP /v1/chat", "embedding", "recall@10"):
        assert name in figures
    assert results["cold"]["current"]["torch_on_help"] is False
    assert results["cold"]["current"]["torch_on_ask"] is False
    for path in ("/ask", "/v1/chat/completions"):
        http = results["http"]["current"][path]
        assert http["errors"] == 0 and http["requests"] == 200
    scale = results["scale"]
    assert scale["vector_index"]["passages"]["type"] == "ivf-flat"
    assert min(scale["recall_at_10"].values()) >= 0.9
    assert out.with_suffix(".md").read_text().startswith("| figure |")
