"""The performance benchmark: the straightforward approach, the previous code and the current
code, side by side, in one run, every measurement in a fresh process.

    python -m eval.bench                         # every figure; ~15 min on 2 cores (first run
                                                 # also builds the 100k synthetic index, cached)
    python -m eval.bench --previous abc1234      # compare with another earlier revision
    python -m eval.bench --passages 1000000 --only scale --out eval/bench-1m.json   # 1M run
    python -m eval.bench --smoke                 # seconds: tiny sizes, no baseline, no previous

Prints a table (figure, target, baseline, previous, current, vs baseline, vs previous, met) and
saves everything measured to eval/reports/bench.json (or --out). The baseline is
eval/bench_baseline.py: sentence-transformers and torch on the query path, everything read
eagerly, exact flat search, bm25s, no batching. The previous code is an earlier git revision
(PREVIOUS, or --previous REV) checked out with `git worktree` into a temporary folder; its cold,
in-process and HTTP figures are measured by the same child processes as the current code's, run
with that folder as working directory and PYTHONPATH, through the API every version shares
(`Engine.open(DEFAULT_CORPUS).ask`, `qa.cli.ask_main`, `qa.cli.main` serve). The scale figures
use a synthetic corpus of real sentences (eval/synthetic.py) whose vectors are recombined real
embeddings, not model outputs; questions are always encoded by the real model.
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_FILE = Path(__file__).resolve()
PROJECT = BENCH_FILE.parent.parent
REPORTS = PROJECT / "eval" / "reports"
CACHE = PROJECT / "index" / "bench"
GOLD = (PROJECT / "eval" / "gold" / "seeds.jsonl", PROJECT / "eval" / "gold" / "licenses.jsonl")
ONE_MILLION = PROJECT / "eval" / "bench-1m.json"
QUESTION = "who led the 2014 Kassab offensive?"
SECTIONS = ("cold", "inproc", "http", "build", "scale", "scale-out", "refresh")
PREVIOUS = "8208fa2"  # the last commit before the reading model
PREVIOUS_SECTIONS = ("cold", "inproc", "http")  # measured for the previous code too
# the entry points every version has; children run them as `python -c` in the checkout measured
ASK_ENTRY = "from qa.cli import ask_main; ask_main()"
QA_ENTRY = "from qa.cli import main; main()"


# ---------------------------------------------------------------- the code measured


@dataclass(frozen=True)
class Code:
    """A checkout whose ``qa`` package is measured: this one (the current code) or a temporary
    git worktree of an earlier revision (the previous code). Every child process measuring it
    runs with the checkout as working directory and PYTHONPATH, so ``import qa`` is its own."""

    root: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.root)}

    def run(self, cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        kw.setdefault("capture_output", True)
        kw.setdefault("check", False)
        return subprocess.run(cmd, cwd=self.root, env=self.env(), text=True, **kw)

    def ask(self, *args: str) -> list[str]:
        """The `ask` console script's entry point."""
        return [sys.executable, "-c", ASK_ENTRY, *args]

    def qa(self, *args: str) -> list[str]:
        """The `qa` console script's entry point."""
        return [sys.executable, "-c", QA_ENTRY, *args]


CURRENT = Code(PROJECT)


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=PROJECT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def describe(rev: str | None) -> dict[str, Any]:
    """The commit ``rev`` names (None: the working tree, with or without uncommitted changes)."""
    if rev is None:
        dirty = bool(_git("status", "--porcelain", "--", "qa"))
        return {"rev": "working tree", "commit": _git("rev-parse", "HEAD"), "dirty": dirty}
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except RuntimeError:
        raise SystemExit(f"eval.bench: --previous {rev} is not a commit of {PROJECT}") from None
    return {"rev": rev, "commit": commit, "subject": _git("log", "-1", "--format=%s", commit)}


@contextmanager
def checkout(commit: str) -> Iterator[Code]:
    """``git worktree add --detach`` of ``commit`` into a temporary folder, removed on exit
    (also on error; a run killed outright leaves a folder in the temp dir that the next
    `git worktree prune` forgets)."""
    tmp = Path(tempfile.mkdtemp(prefix="qa-bench-previous-"))
    root = tmp / "checkout"
    try:
        _git("worktree", "add", "--detach", str(root), commit)
        yield Code(root)
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(root)],
            cwd=PROJECT,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=PROJECT, capture_output=True, check=False)


def _link_tree(src: Path, dst: Path) -> None:
    def link(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dst, copy_function=link)


def _embedding_source(root: Path) -> bytes:
    """The embedding module's source in a checkout (qa/index/ since the stage packages)."""
    for place in ("qa/index/embedding.py", "qa/embedding.py"):
        if (root / place).is_file():
            return (root / place).read_bytes()
    return b""


def prepare(code: Code) -> dict[str, Any]:
    """Before anything is timed: check that ``import qa`` resolves to the checkout, and build
    its seeds index (``qa index``; into the checkout's own index/ folder, since every version
    keeps its default index under <checkout>/index). A worktree whose embedding module is this
    one's gets this checkout's ONNX export of the embedding model (hard links: the same bytes it
    would export); otherwise it exports its own, here, with torch."""
    done = code.run([sys.executable, "-c", "import qa; print(qa.__file__)"])
    found = Path(done.stdout.strip() or "?").resolve()
    if done.returncode != 0 or not found.is_relative_to(code.root.resolve()):
        raise RuntimeError(f"import qa in {code.root} gave {found}: {done.stderr[-1000:]}")
    info: dict[str, Any] = {"root": str(code.root), "shared_model": False}
    models = PROJECT / "index" / "models"
    same = _embedding_source(code.root) == _embedding_source(PROJECT)
    if code != CURRENT and same and models.is_dir():
        for folder in models.iterdir():
            target = code.root / "index" / "models" / folder.name
            if folder.is_dir() and not folder.name.startswith(".") and not target.exists():
                _link_tree(folder, target)
                info["shared_model"] = True
    started = time.perf_counter()
    done = code.run(code.qa("index"), timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"qa index in {code.root} failed:\n{done.stderr[-3000:]}")
    info["index_s"] = round(time.perf_counter() - started, 1)
    return info


def _attempt(what: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The previous code's measurement, or the error it raised (the run goes on)."""
    try:
        return fn()
    except Exception as exc:  # reported in the results and the log
        _log(f"{what} failed: {exc}")
        return {"error": str(exc)[-2000:]}


# ---------------------------------------------------------------- sections


@dataclass(frozen=True)
class SectionRun:
    """What a section is measured with: the options, whether the straightforward approach is
    measured too, the previous code (None unless the section is one of PREVIOUS_SECTIONS and
    the previous code could be set up) and a scratch folder, removed after the section."""

    args: argparse.Namespace
    baseline: bool
    previous: Code | None
    tmp: Path


def _no_head(run: SectionRun) -> dict[str, Any]:
    return {}


def _no_finish(run: SectionRun, out: dict[str, Any]) -> None:
    return None


@dataclass(frozen=True)
class Section:
    """A group of figures; measure() makes its result, in this order: ``head``, the fields that
    come first; ``code``, the figures of the code measured (the current code's, and the previous
    code's where it is measured: see each_checkout); ``baseline``, the straightforward
    approach's (none with --no-baseline); ``finish``, what is derived once those are in."""

    code: Callable[[SectionRun], dict[str, Any]]
    head: Callable[[SectionRun], dict[str, Any]] = _no_head
    baseline: Callable[[SectionRun], dict[str, Any]] | None = None
    finish: Callable[[SectionRun, dict[str, Any]], None] = _no_finish


def each_checkout(
    what: str, measure_one: Callable[[SectionRun, Code], dict[str, Any]]
) -> Callable[[SectionRun], dict[str, Any]]:
    """A section's ``code``: ``measure_one`` of the current code, then of the previous code
    when there is one, whose failure is recorded (``what`` names it in the log)."""

    def sides(run: SectionRun) -> dict[str, Any]:
        out = {"current": measure_one(run, CURRENT)}
        previous = run.previous
        if previous is not None:
            out["previous"] = _attempt(f"previous code, {what}", lambda: measure_one(run, previous))
        return out

    return sides


def measure(section: Section, run: SectionRun) -> dict[str, Any]:
    out = section.head(run)
    out.update(section.code(run))
    if run.baseline and section.baseline is not None:
        out["baseline"] = section.baseline(run)
    section.finish(run, out)
    return out


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


def _worker(name: str, *args: str, code: Code = CURRENT, timeout: float = 3600) -> dict[str, Any]:
    """Run this file's ``--worker NAME ARGS`` in a fresh process in ``code``'s checkout and
    return the JSON it prints. The file is run by path with ``-P`` (nothing prepended to
    sys.path), so its ``import qa`` is the checkout's; this file is never imported from there."""
    cmd = [sys.executable, "-P", str(BENCH_FILE), "--worker", name, *args]
    done = code.run(cmd, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"worker {name} in {code.root} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- cold start


def _timed_run(code: Code, cmd: list[str]) -> float:
    started = time.perf_counter()
    done = code.run(cmd)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"{' '.join(cmd[:3])} in {code.root} failed: {done.stderr[-2000:]}")
    return seconds


def _imports_torch(code: Code, cmd: list[str]) -> bool:
    """Does the command import torch (or sentence_transformers)? Checked with -X importtime."""
    assert cmd[0] == sys.executable
    done = code.run([sys.executable, "-X", "importtime", *cmd[1:]])
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} in {code.root} failed: {done.stderr[-2000:]}")
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return "torch" in names or "sentence_transformers" in names


def _seconds(times: Sequence[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
    }


def _cold_figures(code: Code, times: list[float]) -> dict[str, Any]:
    return {
        **_seconds(times),
        "torch_on_help": _imports_torch(code, code.ask("--help")),
        "torch_on_ask": _imports_torch(code, code.ask(QUESTION)),
    }


def cold_head(run: SectionRun) -> dict[str, Any]:
    return {"question": QUESTION, "runs": run.args.cold_runs}


def cold_asks(run: SectionRun) -> dict[str, Any]:
    """The `ask` entry point from spawn to exit; with a previous checkout, its runs alternate
    with the current code's so that both see the same machine. Then, for scale, `python -c
    'import numpy'`."""
    runs, previous = run.args.cold_runs, run.previous
    codes = {"current": CURRENT, "previous": previous} if previous else {"current": CURRENT}
    out: dict[str, Any] = {}
    times: dict[str, list[float]] = {side: [] for side in codes}
    failed: dict[str, str] = {}

    def timed(side: str) -> None:
        if side in failed:
            return
        try:
            times[side].append(_timed_run(codes[side], codes[side].ask(QUESTION)))
        except RuntimeError as exc:
            if side == "current":
                raise
            _log(f"previous code, cold ask failed: {exc}")
            failed[side] = str(exc)[-2000:]

    for side in codes:
        timed(side)  # warm-up: the page cache, and the index built if needed
        times[side].clear()
    for _ in range(runs):
        for side in codes:
            timed(side)
    out["current"] = _cold_figures(CURRENT, times["current"])
    if previous:
        out["previous"] = (
            {"error": failed["previous"]}
            if "previous" in failed
            else _attempt("previous code, cold", lambda: _cold_figures(previous, times["previous"]))
        )
    python_numpy = [
        _timed_run(CURRENT, [sys.executable, "-c", "import numpy; print(1)"]) for _ in range(runs)
    ]
    out["python_numpy_median_s"] = round(statistics.median(python_numpy), 3)
    return out


def cold_baseline(run: SectionRun) -> dict[str, Any]:
    base = [sys.executable, "-m", "eval.bench_baseline", "ask", QUESTION]
    _timed_run(CURRENT, base)
    return {
        **_seconds([_timed_run(CURRENT, base) for _ in range(run.args.cold_runs)]),
        "torch_on_ask": _imports_torch(CURRENT, base),
    }


# ---------------------------------------------------------------- in-process


def _same(a: list[str], b: list[str]) -> str:
    return f"{sum(x == y for x, y in zip(a, b, strict=True))}/{len(a)}"


def inproc_baseline(run: SectionRun) -> dict[str, Any]:
    return _worker("inproc", "--engine", "baseline", "--limit", str(run.args.questions))


def inproc_same_answers(run: SectionRun, out: dict[str, Any]) -> None:
    """The current code's answers compared with the previous code's and the baseline's; then
    the answers are dropped from the results."""
    if "answers" in out.get("previous", {}):
        out["same_as_previous"] = _same(out["current"]["answers"], out["previous"]["answers"])
    if "baseline" in out:
        out["same_answers"] = _same(out["current"]["answers"], out["baseline"]["answers"])
    for side in ("current", "previous", "baseline"):
        out.get(side, {}).pop("answers", None)


def inproc_ask(run: SectionRun, code: Code) -> dict[str, Any]:
    limit = run.args.questions
    result = _worker("inproc", "--engine", "current", "--limit", str(limit), code=code)
    if not Path(result["package"]).is_relative_to(code.root.resolve()):
        raise RuntimeError(f"the worker for {code.root} imported qa from {result['package']}")
    return result


def worker_inproc(engine_name: str, limit: int) -> dict[str, Any]:
    """``engine_name`` "current": the ``qa`` package on the path (the previous checkout's when
    run there), through the API every version has; "baseline": eval/bench_baseline.py."""
    questions = _questions()[:limit]
    started = time.perf_counter()
    if engine_name == "current":
        import qa

        try:
            from qa.answer.engine import DEFAULT_CORPUS, Engine
        except ImportError:  # code from before the stage packages (the previous code)
            from qa.engine import DEFAULT_CORPUS, Engine  # type: ignore[import-not-found,no-redef]

        package = str(Path(qa.__file__).resolve().parent)
        engine: Any = Engine.open(DEFAULT_CORPUS)
    else:
        from eval.bench_baseline import open_baseline
        from qa.answer.engine import DEFAULT_CORPUS

        package = "eval/bench_baseline.py"
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
        "package": package,
        "open_s": round(opened, 3),
        **_summary(latencies),
        "stage_p50_ms": {k: round(statistics.median(v), 3) for k, v in stages.items()},
        "answers": answers,
        "memory": memory(),
        **(_span_cost(engine, questions) if engine_name == "current" else {}),
    }


def _span_cost(engine: Any, questions: Sequence[str]) -> dict[str, Any]:
    """What short answers add to a question: each question asked twice in turn, with the
    reader's span decoding and with it replaced by "no span" (the forward pass is the same
    one), p50 of each. Code without a reading model reports nothing."""
    try:
        import qa.answer.reader as reader_module
    except ImportError:
        return {}
    real = reader_module.best_span

    def no_span(*args: Any, **kwargs: Any) -> tuple[None, float]:
        return None, 0.0

    times: dict[str, list[float]] = {"with": [], "without": []}
    try:
        for q in questions:
            for side, decode in (("with", real), ("without", no_span)):
                reader_module.best_span = decode  # type: ignore[assignment]
                t = time.perf_counter()
                engine.ask(q)
                times[side].append((time.perf_counter() - t) * 1000)
    finally:
        reader_module.best_span = real
    return {"short_answers_p50_ms": {k: round(statistics.median(v), 3) for k, v in times.items()}}


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


def _die_with_parent() -> None:
    """In the server's process, before exec: SIGTERM it when the benchmark dies (killed by a
    timeout, say), so that no server outlives the run. Linux only; elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _serve(
    code: Code, cmd: list[str], requests: int, concurrency: int, folder: Path
) -> dict[str, Any]:
    port = _free_port()
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)],
        cwd=code.root,
        env=code.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
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
                    str(min(100, requests // 4)),
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


def http_head(run: SectionRun) -> dict[str, Any]:
    return {"concurrency": run.args.concurrency}


def http_serve(run: SectionRun, code: Code) -> dict[str, Any]:
    """`qa serve` (the ``qa`` entry point of each checkout) under eval/loadgen.py."""
    return _serve(code, code.qa("serve"), run.args.requests, run.args.concurrency, run.tmp)


def http_baseline(run: SectionRun) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "eval.bench_baseline", "serve"]
    return _serve(CURRENT, cmd, run.args.baseline_requests, run.args.concurrency, run.tmp)


# ---------------------------------------------------------------- build throughput


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


# ---------------------------------------------------------------- refresh (incremental)

REFRESH_TARGET = 0.05  # a refresh after adding one file, as a share of a full build's time


def refresh_figures(run: SectionRun) -> dict[str, Any]:
    """On a copy of the synthetic corpus of --refresh-passages passages (and its index): a full
    build, then one new article added and the index refreshed (qa.index.refresh), both timed in this
    process with the same recombining encoder (eval/synthetic.py; its vectors are cheap, so the
    embedding share of the full build is smaller than with the model, and the ratio is, if
    anything, pessimistic)."""
    from eval.synthetic import recombining_encoder, write_corpus
    from qa.answer.engine import INDEX_ROOT, ensure_index
    from qa.index.build import build_index

    passages, seed = run.args.refresh_passages, run.args.seed
    corpus, index, _ = synthetic_index(passages, seed, None)
    work, refreshed = run.tmp / "corpus", run.tmp / "index"
    shutil.copytree(corpus, work)
    shutil.copytree(index, refreshed, symlinks=True)
    encoder = recombining_encoder(INDEX_ROOT / "models", CACHE)
    assert ensure_index(work, refreshed, encoder) is None  # the copy is up to date
    _log(f"refresh: a full build of {passages} passages")
    full = build_index(work, run.tmp / "full", encoder)
    extra = run.tmp / "extra"
    write_corpus(extra, 20, seed + 1)  # one article of ~20 passages
    added = sorted(extra.glob("*.txt"))[0]
    shutil.copy(added, work / f"zz-added-{added.name}")
    _log("refresh: one file added")
    report = ensure_index(work, refreshed, encoder)
    assert report is not None and report.mode == "refresh"
    return {
        "passages": full.counts["passages"],
        "documents": full.counts["documents"],
        "full_s": round(full.seconds, 2),
        "full_stages_s": full.stages,
        "refresh_s": round(report.seconds, 2),
        "refresh_stages_s": report.stages,
        "changes": {k: report.counts[k] for k in ("added", "changed", "removed", "reused")},
        "share": round(report.seconds / full.seconds, 4),
        "vectors": "recombined real embeddings (eval/synthetic.py), not model outputs",
    }


def refresh_rows(rows: list[dict[str, Any]], out: dict[str, Any] | None) -> None:
    if not out:
        return
    _row(
        rows,
        f"refresh after adding one file to {out['passages']} passages: full build "
        f"{out['full_s']:.1f} s, refresh",
        f"≤ {REFRESH_TARGET:.0%} of a full build",
        None,
        out["refresh_s"],
        " s",
        met=lambda v: v <= REFRESH_TARGET * out["full_s"],
    )


# ---------------------------------------------------------------- scale-out (Ray)


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


# ---------------------------------------------------------------- scale


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


COLUMNS = (
    "figure",
    "target",
    "baseline",
    "previous",
    "current",
    "vs baseline",
    "vs previous",
    "met",
)
OPTIONAL = {"baseline": "vs baseline", "previous": "vs previous"}  # hidden when all empty


def _ratio(reference: Any, current: Any, better: str) -> str:
    """How many times better the current figure is than ``reference`` (faster, or more per
    second): above 1 the current code is better, below 1 worse."""
    numbers = isinstance(reference, int | float) and isinstance(current, int | float)
    if not numbers or isinstance(reference, bool) or not reference or not current:
        return ""
    ratio = reference / current if better == "lower" else current / reference
    return f"{ratio:.1f}×" if ratio >= 0.95 else f"{ratio:.2f}×"


def _row(
    rows: list[dict[str, Any]],
    figure: str,
    target: str,
    baseline: Any,
    current: Any,
    unit: str = "",
    better: str = "lower",
    met: Callable[[Any], bool] | None = None,
    previous: Any = None,
) -> None:
    rows.append(
        {
            "figure": figure,
            "target": target,
            "baseline": _fmt(baseline, unit),
            "previous": _fmt(previous, unit),
            "current": _fmt(current, unit),
            "vs baseline": _ratio(baseline, current, better),
            "vs previous": _ratio(previous, current, better),
            "met": "" if met is None else ("yes" if met(current) else "NO"),
        }
    )


def table(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the table. Targets (and "met") are for the current code."""
    rows: list[dict[str, Any]] = []
    cold = results.get("cold")
    if cold:
        b, p, c = cold.get("baseline", {}), cold.get("previous", {}), cold["current"]
        _row(
            rows,
            f"cold `ask` → printed answer, median of {cold['runs']}",
            "≤ 1.0 s",
            b.get("median_s"),
            c["median_s"],
            " s",
            met=lambda v: v <= 1.0,
            previous=p.get("median_s"),
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
            previous=p.get("torch_on_help"),
        )
        _row(
            rows,
            "torch imported by `ask QUESTION`",
            "never",
            b.get("torch_on_ask"),
            c["torch_on_ask"],
            met=lambda v: v is False,
            previous=p.get("torch_on_ask"),
        )
    inproc = results.get("inproc")
    if inproc:
        b, p, c = inproc.get("baseline", {}), inproc.get("previous", {}), inproc["current"]
        n = c["n"]
        _row(
            rows,
            f"in-process ask p50 (seeds, {n} questions)",
            "≤ 30 ms",
            b.get("p50_ms"),
            c["p50_ms"],
            " ms",
            met=lambda v: v <= 30,
            previous=p.get("p50_ms"),
        )
        _row(
            rows,
            "in-process ask p99",
            "≤ 80 ms",
            b.get("p99_ms"),
            c["p99_ms"],
            " ms",
            met=lambda v: v <= 80,
            previous=p.get("p99_ms"),
        )
        _row(
            rows,
            "  embed / retrieve / compose p50",
            "",
            _stages(b),
            _stages(c),
            previous=_stages(p),
        )
        spans = c.get("short_answers_p50_ms")
        if spans:
            _row(
                rows,
                "  p50 added by short answers (asked in turn with and without)",
                "≤ 2 ms",
                None,
                round(spans["with"] - spans["without"], 3),
                " ms",
                met=lambda v: v <= 2,
            )
        if "same_answers" in inproc:
            _row(rows, "  same answer text as baseline", "", None, inproc["same_answers"])
        if "same_as_previous" in inproc:
            _row(rows, "  same answer text as previous", "", None, inproc["same_as_previous"])
    http = results.get("http")
    if http:
        conc = http["concurrency"]
        for path in ("/ask", "/v1/chat/completions"):
            b = http.get("baseline", {}).get(path, {})
            p = http.get("previous", {}).get(path, {})
            c = http["current"][path]
            ask = path == "/ask"  # the targets are for /ask
            _row(
                rows,
                f"HTTP {path} @{conc}: requests/s ({c['requests']} req)",
                "≥ 40" if ask else "",
                b.get("requests_per_s"),
                c["requests_per_s"],
                "/s",
                better="higher",
                met=(lambda v: v >= 40) if ask else None,
                previous=p.get("requests_per_s"),
            )
            _row(
                rows,
                f"HTTP {path} @{conc}: p99",
                "≤ 500 ms" if ask else "",
                b.get("p99_ms"),
                c["p99_ms"],
                " ms",
                met=(lambda v: v <= 500) if ask else None,
                previous=p.get("p99_ms"),
            )
            _row(
                rows,
                f"HTTP {path} @{conc}: errors",
                "0",
                b.get("errors"),
                c["errors"],
                met=lambda v: v == 0,
                previous=p.get("errors"),
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
    scale_out_rows(rows, results.get("scale-out"))
    refresh_rows(rows, results.get("refresh"))
    for key, label in (("scale", None), ("scale_1m", "1M")):
        scale = results.get(key)
        if scale:
            _scale_rows(rows, scale, label)
    return rows


def scale_out_rows(rows: list[dict[str, Any]], out: dict[str, Any] | None) -> None:
    if not out:
        return
    one, two, here = out["ray_1"], out["ray_2"], out["single_process"]
    _row(
        rows,
        f"scale-out: embedding, {one['texts']} texts ({out['passages']} passages), "
        "one process on all cores",
        "",
        None,
        here["embed_texts_per_s"],
        "/s",
    )
    for n, side in ((1, one), (2, two)):
        _row(
            rows, f"  Ray, {n} single-threaded worker(s)", "", None, side["embed_texts_per_s"], "/s"
        )
    _row(
        rows,
        "  Ray: 2 workers vs 1",
        "≥ 1.6×",
        None,
        out["speedup_2_vs_1"],
        "×",
        met=lambda v: v >= 1.6,
    )
    peaks = ", ".join(str(w["peak_mb"]) for w in two.get("workers", []))
    _row(
        rows,
        "  peak memory: driver / each worker (2 workers)",
        "",
        None,
        f"{two['driver_peak_mb']} MB / {peaks} MB",
    )


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


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    """COLUMNS without a reference column (and its ratio) that no row fills (no baseline or no
    previous code in the run)."""
    empty = {"", "–"}
    hidden = {
        name
        for column, ratio in OPTIONAL.items()
        if all(r.get(column, "–") in empty for r in rows)
        for name in (column, ratio)
    }
    return [h for h in COLUMNS if h not in hidden]


def render(rows: list[dict[str, Any]]) -> str:
    heads = _columns(rows)
    widths = [max(len(h), *(len(str(r.get(h, ""))) for r in rows)) for h in heads]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        cells = (str(r.get(h, "")).ljust(w) for h, w in zip(heads, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def markdown(rows: list[dict[str, Any]]) -> str:
    heads = _columns(rows)
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for r in rows:
        lines.append("| " + " | ".join(str(r.get(h, "")).replace("|", "/") for h in heads) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

SECTION_TABLE = {  # in the order a run measures them
    "scale": Section(code=scale_figures),
    "cold": Section(head=cold_head, code=cold_asks, baseline=cold_baseline),
    "inproc": Section(
        code=each_checkout("in-process", inproc_ask),
        baseline=inproc_baseline,
        finish=inproc_same_answers,
    ),
    "http": Section(head=http_head, code=each_checkout("HTTP", http_serve), baseline=http_baseline),
    "build": Section(
        head=build_head,
        code=each_checkout("build", build_embed),
        baseline=build_baseline,
        finish=build_seeds,
    ),
    "scale-out": Section(code=scale_out),
    "refresh": Section(code=refresh_figures),
}
assert set(SECTION_TABLE) == set(SECTIONS)


def previous_rev(args: argparse.Namespace) -> str | None:
    """The revision of the "previous" column: --previous REV, else PREVIOUS; none with
    --no-previous, and none with --smoke unless --previous is given."""
    if args.no_previous:
        return None
    if args.previous:
        return str(args.previous)
    return None if args.smoke else PREVIOUS


def run(args: argparse.Namespace) -> dict[str, Any]:
    only = set(args.only.split(",")) if args.only else set(SECTIONS)
    baseline = not args.no_baseline
    rev = previous_rev(args) if only & set(PREVIOUS_SECTIONS) else None
    previous_info = describe(rev) if rev else None
    code = {"current": describe(None), "previous": previous_info}
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_avg_start": _load(),
        },
        "settings": {k: v for k, v in vars(args).items() if k != "worker"},
        "code": code,
    }
    timings = {}
    # make sure the seeds indexes exist before anything is timed (and set the previous code up
    # first, so that a revision it cannot be measured at shows at once)
    prepare(CURRENT)
    with _previous(previous_info) as checked_out:
        previous = checked_out
        if checked_out is not None and previous_info is not None:
            _log(f"previous code: {rev} ({previous_info['commit'][:12]}) in {checked_out.root}")
            previous_info.update(_attempt("previous code, setup", lambda: prepare(checked_out)))
            if "error" in previous_info:
                previous = None
        for name, section in SECTION_TABLE.items():
            if name not in only:
                continue
            _log(f"{name} … (load average {_load()})")
            started = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                own = previous if name in PREVIOUS_SECTIONS else None
                results[name] = measure(section, SectionRun(args, baseline, own, Path(tmp)))
            timings[name] = round(time.perf_counter() - started, 1)
            results[name]["load_avg_after"] = _load()
    if not args.smoke and ONE_MILLION.is_file() and args.out is None:
        results["scale_1m"] = json.loads(ONE_MILLION.read_text()).get("scale")
    results["section_seconds"] = timings
    results["machine"]["load_avg_end"] = _load()
    return results


@contextmanager
def _previous(info: dict[str, Any] | None) -> Iterator[Code | None]:
    if info is None:
        yield None
        return
    with checkout(info["commit"]) as code:
        yield code


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help=f"comma-separated sections of {SECTIONS}")
    ap.add_argument("--passages", type=int, default=100_000, help="synthetic corpus size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--flat-max", type=int, default=None, help="override vector_index.FLAT_MAX")
    ap.add_argument("--cold-runs", type=int, default=7)
    ap.add_argument(
        "--questions", type=int, default=1000, help="in-process and scale `ask` question limit"
    )
    ap.add_argument("--requests", type=int, default=3000, help="HTTP requests per endpoint")
    ap.add_argument("--baseline-requests", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--embed-passages", type=int, default=1000)
    ap.add_argument(
        "--scale-out-passages", type=int, default=3000, help="synthetic corpus of scale-out"
    )
    ap.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument(
        "--refresh-passages", type=int, default=20_000, help="synthetic corpus of refresh"
    )
    ap.add_argument("--no-baseline", action="store_true", help="skip the straightforward approach")
    ap.add_argument(
        "--previous",
        metavar="REV",
        default=None,
        help=f"the git revision of the 'previous' column (default {PREVIOUS}, the last commit "
        "before the reading model); its cold, in-process and HTTP figures are measured from a "
        "temporary git worktree",
    )
    ap.add_argument("--no-previous", action="store_true", help="skip the previous code")
    ap.add_argument(
        "--smoke", action="store_true", help="tiny sizes, no baseline, no previous unless given"
    )
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
    return ap


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.worker:
        print(json.dumps(_run_worker(args)))
        return
    if args.smoke:
        args.passages, args.flat_max, args.cold_runs = 3000, 1000, 1
        args.questions, args.requests, args.embed_passages = 30, 100, 64
        args.scale_out_passages = 200
        args.refresh_passages = 2000
        args.no_baseline = True
    if args.render:  # re-print the table of a saved run
        results = json.loads(args.render.read_text())
        print(header(results) + "\n" + render(table(results)) + _failures(results))
        return
    results = run(args)
    rows = table(results)
    results["table"] = rows
    out = args.out or REPORTS / ("bench-smoke.json" if args.smoke else "bench.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n")
    print(header(results) + "\n" + render(rows) + _failures(results))
    print(f"\nsaved {out}")
    (out.with_suffix(".md")).write_text(markdown(rows) + "\n")


def header(results: dict[str, Any]) -> str:
    m = results["machine"]
    took = sum(results.get("section_seconds", {}).values())
    lines = [
        f"{results['started']}: {m['cpus']} CPUs, Python {m['python']}, load average "
        f"{m['load_avg_start']} → {m.get('load_avg_end')}, sections took {took:.0f} s"
    ]
    code = results.get("code") or {}
    if code.get("current"):
        c = code["current"]
        dirty = " with uncommitted changes" if c.get("dirty") else ""
        lines.append(f"current: the working tree at {c['commit'][:10]}{dirty}")
    if code.get("previous"):
        p = code["previous"]
        lines.append(f'previous: {p["rev"]} = {p["commit"][:10]} "{p.get("subject", "")[:70]}"')
    lines.append("vs X: how many times better the current figure is than X's (< 1×: worse)")
    return "\n".join(lines) + "\n"


def _failures(results: dict[str, Any]) -> str:
    """The previous code's measurements that failed (their cells are empty)."""
    setup = (results.get("code") or {}).get("previous") or {}
    failed = [f"previous code, setup: {_last_line(setup['error'])}"] if "error" in setup else []
    failed += [
        f"previous code, {name}: {_last_line(results[name]['previous']['error'])}"
        for name in PREVIOUS_SECTIONS
        if "error" in (results.get(name) or {}).get("previous", {})
    ]
    return "".join(f"\nFAILED {line}" for line in failed)


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "?"


def _run_worker(args: argparse.Namespace) -> dict[str, Any]:
    if args.worker == "inproc":
        return worker_inproc(args.engine, args.limit)
    if args.worker == "embed":
        return worker_embed(args.engine, args.texts)
    if args.worker == "build-seeds":
        return worker_build_seeds()
    if args.worker == "scale-out":
        return worker_scale_out(args.corpus, args.workers)
    if args.worker == "scale":
        return worker_scale(
            args.engine, args.corpus, args.index, args.queries, args.texts, args.ids, args.limit
        )
    raise SystemExit(f"unknown worker {args.worker}")


if __name__ == "__main__":
    main()
