"""The performance work: the fast paths give the same results as the straightforward ones the
benchmark compares them with (eval/bench_baseline.py), and the benchmark itself runs (a smoke run at
tiny sizes; the real run is `python -m eval.bench`, see the README, "Performance"), including its
"previous code" column (a temporary git worktree of an earlier revision). `make test` runs the
cold and in-process sections with the previous column; the smoke run of every section is in
`make test-all`."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from fakes import PROJECT, HashingEncoder
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.answer.engine import Engine, ensure_index
from qa.answer.retrieval import top_positive
from qa.index.store import PassageList, current_build, read_passages

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
    baseline = BaselineEngine(corpus, build, encoder=HashingEncoder(), reader=engine.reader)
    assert baseline.ask_many(QUESTIONS) == engine.ask_many(QUESTIONS)


# ---------------------------------------------------------------- the benchmark's options and table


def _bench(module: str) -> ModuleType:
    """One module of the benchmark's package, eval/bench/."""
    if str(PROJECT) not in sys.path:
        sys.path.insert(0, str(PROJECT))
    return importlib.import_module(f"eval.bench.{module}")


def test_previous_revision_options() -> None:
    cli, common = _bench("cli"), _bench("common")

    def rev(*argv: str) -> str | None:
        return cli.previous_rev(cli.parser().parse_args(list(argv)))

    assert rev() == common.PREVIOUS == "8208fa2"
    assert rev("--previous", "abc1234") == "abc1234"
    assert rev("--no-previous") is None
    assert rev("--previous", "abc1234", "--no-previous") is None
    assert rev("--smoke") is None  # the smoke run makes no worktree unless asked
    assert rev("--smoke", "--previous", "HEAD") == "HEAD"


def _report() -> dict[str, Any]:
    """A saved report of a run with the baseline and the previous code (figures made up)."""
    previous = {"rev": "8208fa2", "commit": "8208fa2" + "0" * 33, "subject": "before the reader"}
    http_side = {
        "/ask": {"requests": 3000, "requests_per_s": 250.0, "p99_ms": 90.0, "errors": 0},
        "/v1/chat/completions": {
            "requests": 3000,
            "requests_per_s": 240.0,
            "p99_ms": 95.0,
            "errors": 0,
        },
    }
    current_http = {
        "/ask": {"requests": 3000, "requests_per_s": 50.0, "p99_ms": 450.0, "errors": 0},
        "/v1/chat/completions": {
            "requests": 3000,
            "requests_per_s": 48.0,
            "p99_ms": 520.0,
            "errors": 0,
        },
    }
    return {
        "started": "2026-11-30 16:00:00",
        "machine": {"cpus": 2, "python": "3.11", "load_avg_start": 0.1, "load_avg_end": 1.9},
        "section_seconds": {"cold": 20.0, "inproc": 30.0, "http": 200.0},
        "code": {
            "current": {"rev": "working tree", "commit": "f" * 40, "dirty": True},
            "previous": previous,
        },
        "cold": {
            "runs": 7,
            "python_numpy_median_s": 0.12,
            "current": {"median_s": 0.9, "torch_on_help": False, "torch_on_ask": False},
            "previous": {"median_s": 0.6, "torch_on_help": False, "torch_on_ask": False},
            "baseline": {"median_s": 6.0, "torch_on_ask": True},
        },
        "inproc": {
            "current": {
                "n": 375,
                "p50_ms": 24.0,
                "p99_ms": 60.0,
                "stage_p50_ms": {"embed": 4.6, "retrieve": 0.5, "compose": 19.0},
            },
            "previous": {
                "n": 375,
                "p50_ms": 6.0,
                "p99_ms": 9.0,
                "stage_p50_ms": {"embed": 4.6, "retrieve": 0.5, "compose": 0.8},
            },
            "baseline": {"n": 375, "p50_ms": 30.0, "p99_ms": 40.0},
            "same_answers": "375/375",
            "same_as_previous": "120/375",
        },
        "http": {
            "concurrency": 16,
            "current": current_http,
            "previous": http_side,
            "baseline": {"/ask": {**http_side["/ask"], "requests_per_s": 40.0, "errors": 2}},
        },
    }


def _cells(text: str, figure: str) -> list[str]:
    line = next(x for x in text.splitlines() if x.startswith(figure))
    return [c.strip() for c in line.split("|")[1:-1]]


def test_table_shows_previous_and_current_side_by_side(tmp_path: Path, capsys: Any) -> None:
    cli, tables = _bench("cli"), _bench("table")
    report = tmp_path / "bench.json"
    report.write_text(json.dumps(_report()))
    cli.main(["--render", str(report)])
    printed = capsys.readouterr().out
    heads = printed.splitlines()[5].split()
    assert heads[:4] == ["figure", "target", "baseline", "previous"]
    assert "previous: 8208fa2" in printed and "before the reader" in printed
    md = tables.markdown(tables.table(_report()))
    assert md.splitlines()[0] == (
        "| figure | target | baseline | previous | current | vs baseline | vs previous | met |"
    )
    assert _cells(md, "| cold `ask`") == [
        "cold `ask` → printed answer, median of 7",
        "≤ 1.0 s",
        "6 s",
        "0.6 s",
        "0.9 s",
        "6.7×",
        "0.67×",
        "yes",
    ]
    assert _cells(md, "| in-process ask p50")[1:] == [
        "≤ 30 ms",
        "30 ms",
        "6 ms",
        "24 ms",
        "1.2×",
        "0.25×",
        "yes",
    ]
    assert _cells(md, "| in-process ask p99")[1] == "≤ 80 ms"
    split = _cells(md, "|   embed / retrieve / compose")
    assert split[3:5] == ["4.6 / 0.5 / 0.8 ms", "4.6 / 0.5 / 19 ms"]
    assert _cells(md, "|   same answer text as previous")[4] == "120/375"
    assert _cells(md, "| HTTP /ask @16: requests/s")[1:] == [
        "≥ 40",
        "40/s",
        "250/s",
        "50/s",
        "1.2×",
        "0.20×",
        "yes",
    ]
    assert _cells(md, "| HTTP /ask @16: p99")[1] == "≤ 500 ms"
    assert _cells(md, "| HTTP /ask @16: errors")[1:5] == ["0", "2", "0", "0"]
    chat = _cells(md, "| HTTP /v1/chat/completions @16: p99")
    assert chat[1] == "" and chat[3:5] == ["95 ms", "520 ms"] and chat[-1] == ""
    assert _cells(md, "| torch imported by `ask QUESTION`")[1:5] == ["never", "yes", "no", "no"]


def test_table_without_previous_or_baseline_hides_their_columns() -> None:
    cli, tables = _bench("cli"), _bench("table")
    report = _report()
    del report["code"]["previous"]
    for name in ("cold", "inproc", "http"):
        report[name].pop("previous")
        report[name].pop("baseline")
    del report["inproc"]["same_as_previous"], report["inproc"]["same_answers"]
    text = tables.render(tables.table(report))
    assert text.splitlines()[0].split() == ["figure", "target", "current", "met"]
    failed = _report()
    failed["inproc"]["previous"] = {
        "error": "worker inproc failed:\nImportError: no qa.answer.engine"
    }
    rows = tables.table(failed)
    row = next(r for r in rows if r["figure"].startswith("in-process ask p50"))
    assert row["previous"] == "–" and row["vs previous"] == ""
    assert (
        cli._failures(failed) == "\nFAILED previous code, inproc: ImportError: no qa.answer.engine"
    )
    failed["code"]["previous"]["error"] = "qa index in /tmp/x failed:\nNo such command 'index'."
    assert cli._failures(failed).startswith("\nFAILED previous code, setup: No such command")


def test_previous_checkout_is_a_temporary_worktree_removed_on_error() -> None:
    bench = _bench("code")

    def worktrees() -> str:
        return subprocess.run(
            ["git", "worktree", "list", "--porcelain"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    before = worktrees()
    commit = bench.describe("HEAD")["commit"]
    with pytest.raises(RuntimeError, match="on purpose"), bench.checkout(commit) as code:
        root = code.root
        assert (root / "qa" / "__init__.py").is_file() and root != PROJECT
        assert str(root) in worktrees()
        env = code.env()
        assert env["PYTHONPATH"] == str(root)
        found = subprocess.run(
            [sys.executable, "-c", "import qa; print(qa.__file__)"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert Path(found).is_relative_to(root)
        raise RuntimeError("on purpose")
    assert not root.parent.exists()
    assert worktrees() == before
    with pytest.raises(SystemExit, match="not a commit"):
        bench.describe("no-such-revision")


def test_worker_imports_the_checkouts_qa_and_this_projects_bench(tmp_path: Path) -> None:
    """A measuring child runs in the checkout measured, which may be laid out as the previous
    code was (a flat qa/engine.py, and an eval/ with a single-file bench.py): its `qa` is the
    checkout's, and the benchmark's own modules are this project's, the checkout's eval/ never
    imported."""
    old = tmp_path / "checkout"
    (old / "qa").mkdir(parents=True)
    (old / "eval").mkdir()
    (old / "eval" / "bench.py").write_text('raise ImportError("the checkout\'s eval/bench.py")\n')
    (old / "qa" / "__init__.py").write_text("")
    (old / "qa" / "engine.py").write_text(
        textwrap.dedent(
            """
            DEFAULT_CORPUS = "seeds"

            class Answer:
                def __init__(self, question):
                    self.answer = question.upper()
                    self.timings_ms = {"embed": 1.0, "retrieve": 2.0, "compose": 3.0}

            class Engine:
                @classmethod
                def open(cls, corpus):
                    assert corpus == DEFAULT_CORPUS
                    return cls()

                def ask(self, question):
                    return Answer(question)
            """
        )
    )
    code = _bench("code")
    result = code._worker("inproc", "--engine", "current", "--limit", "5", code=code.Code(old))
    assert Path(result["package"]) == (old / "qa").resolve()
    assert result["n"] == 5 and len(result["answers"]) == 5
    assert result["stage_p50_ms"] == {"embed": 1.0, "retrieve": 2.0, "compose": 3.0}
    assert "short_answers_p50_ms" not in result  # no reading model in that code
    with pytest.raises(RuntimeError, match="unknown worker nope"):
        code._worker("nope", code=code.Code(old))


# ---------------------------------------------------------------- the benchmark runs


@pytest.mark.slow
@pytest.mark.long
def test_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "eval.bench", "--smoke", "--out", str(out)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,  # ~40 s on an idle 2-core machine
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "cold `ask`" in done.stdout and f"saved {out}" in done.stdout
    results = json.loads(out.read_text())
    assert results["code"]["previous"] is None  # --smoke: no worktree
    assert "previous" not in results["inproc"]
    figures = " ".join(row["figure"] for row in results["table"])
    for name in ("cold", "in-process", "HTTP /ask", "HTTP /v1/chat", "embedding", "recall@10"):
        assert name in figures
    assert results["cold"]["current"]["torch_on_help"] is False
    assert results["cold"]["current"]["torch_on_ask"] is False
    for path in ("/ask", "/v1/chat/completions"):
        http = results["http"]["current"][path]
        assert http["errors"] == 0 and http["requests"] == 100
    scale = results["scale"]
    assert scale["vector_index"]["passages"]["type"] == "ivf-flat"
    assert min(scale["recall_at_10"].values()) >= 0.9
    assert out.with_suffix(".md").read_text().startswith("| figure |")


@pytest.mark.slow
def test_benchmark_smoke_run_with_previous_code(tmp_path: Path) -> None:
    """The previous column end to end, against HEAD: a worktree with its own index, measured by
    the same child processes, and removed afterwards."""
    out = tmp_path / "bench.json"
    args = ["--smoke", "--only", "cold,inproc", "--previous", "HEAD", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "eval.bench", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    previous = results["code"]["previous"]
    assert previous["rev"] == "HEAD" and not Path(previous["root"]).exists()
    assert Path(results["inproc"]["previous"]["package"]).is_relative_to(previous["root"])
    assert results["inproc"]["previous"]["n"] == 30
    assert results["inproc"]["same_as_previous"].endswith("/30")
    assert results["cold"]["previous"]["torch_on_ask"] is False
    row = next(r for r in results["table"] if r["figure"].startswith("in-process ask p50"))
    assert row["previous"].endswith(" ms") and row["vs previous"].endswith("×")
    assert "previous: HEAD" in done.stdout
    worktrees = subprocess.run(
        ["git", "worktree", "list"], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    assert previous["root"] not in worktrees.stdout
