"""Faults: `qa index` killed with SIGKILL at every stage of a build, corrupt index files, a
rebuild while the server answers, a missing index at start-up, and shutdown with requests in
flight. Real processes on a small copy of the seeds; every wait is bounded.

`make test` kills the build at its last stage before publishing and half-way through, and swaps
a rebuild in under load in-process with the hashing encoder; `make test-all` (the `long`
marker) adds the other four kill points and the swap between real `qa serve` and `qa index`
processes."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import SEED_002, SEED_003, SEEDS, TINY_CORPUS, HashingEncoder, write_corpus
from litestar.testing import TestClient
from serving import ASK, LOCAL, QA, in_thread, qa_serve
from test_server import FakeEngine, running

from qa.answer.engine import Engine, ensure_index
from qa.core.errors import IndexCorrupt
from qa.index.store import current_build, load, read_manifest
from qa.serve.app import create_app
from qa.serve.batching import Limits
from qa.serve.reload import Reload, reopen_rebuilt

pytestmark = pytest.mark.slow

QUESTIONS = [
    "How many casualties were there over four days?",
    "Who are the co-chairs of the DEM Party?",
    "What is the capital of Peru?",
]

# `qa index` with an audit hook that stops it (sleeping) at the first event matching
# (event name, substrings of its arguments), and says so on stderr; the test then SIGKILLs it.
PAUSING_QA = r"""
import sys, time
event, needles = sys.argv[1], sys.argv[2].split("|")
paused = False
def hook(name, args):
    global paused
    if not paused and name == event and all(n in repr(args) for n in needles):
        paused = True
        sys.stderr.write(f"PAUSED at {name} {args!r}\n")
        sys.stderr.flush()
        time.sleep(300)
sys.addaudithook(hook)
from qa.cli.commands import main
main(sys.argv[3:], prog_name="qa")
"""


def small_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    for name in (SEED_002, SEED_003):
        shutil.copy(SEEDS / name, corpus / name)
    return corpus


def qa_index(corpus: Path, index: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [*QA, "index", "--corpus", str(corpus), "--index", str(index), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True)


def ask_all(corpus: Path, index: Path) -> subprocess.CompletedProcess[bytes]:
    """`ask -` in a new process: one JSON line per question."""
    cmd = [*ASK, "-", "--corpus", str(corpus), "--index", str(index)]
    stdin = ("\n".join(QUESTIONS) + "\n").encode()
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=120, check=True)


BUILD_SECONDS: list[float] = []  # how long `qa index` took here, start-up included


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, bytes]:
    """A small corpus, its index built by `qa index`, and `ask -`'s answers from it."""
    root = tmp_path_factory.mktemp("faults")
    corpus = small_corpus(root)
    started = time.monotonic()
    qa_index(corpus, root / "index")
    BUILD_SECONDS.append(time.monotonic() - started)
    return corpus, root / "index", ask_all(corpus, root / "index").stdout


def copy_index(built: tuple[Path, Path, bytes], tmp_path: Path) -> Path:
    index = tmp_path / "index"
    shutil.copytree(built[1], index, symlinks=True)
    return index


# ---------------------------------------------------------------- kill -9 during qa index

LONG = pytest.mark.long
KILL_POINTS = [  # the last one, the instant before the swap, also runs in the fast tier
    pytest.param("os.mkdir", ".tmp-", id="temporary-folder-just-made", marks=LONG),
    pytest.param("open", ".tmp-|passages.jsonl", id="half-the-files-written", marks=LONG),
    pytest.param("os.rename", ".tmp-", id="manifest-written-before-rename", marks=LONG),
    pytest.param("os.symlink", ".current-", id="renamed-before-the-new-link", marks=LONG),
    pytest.param("os.rename", ".current-", id="new-link-made-before-the-swap"),
]


@pytest.mark.parametrize(("event", "needles"), KILL_POINTS)
def test_kill_9_during_qa_index_keeps_the_previous_index(
    built: tuple[Path, Path, bytes], tmp_path: Path, event: str, needles: str
) -> None:
    corpus, _, answers = built
    index = copy_index(built, tmp_path)
    link = os.readlink(index / "current")
    cmd = [*QA[:2], PAUSING_QA, event, needles, "index", "--rebuild"]
    cmd += ["--corpus", str(corpus), "--index", str(index)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        seen = []
        while line := proc.stderr.readline():  # ends when the process does
            seen.append(line)
            if line.startswith("PAUSED"):
                break
        assert seen and seen[-1].startswith("PAUSED"), f"{event} {needles} never reached: {seen}"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    assert os.readlink(index / "current") == link, "`current` moved"
    build = current_build(index)
    assert build is not None
    load(build)  # every checksum still holds
    again = ask_all(corpus, index)
    assert again.stdout == answers  # byte-identical answers
    assert again.stderr == b"", "the previous index must be used as it is, not rebuilt"

    # the next build sweeps up what the killed one left
    qa_index(corpus, index, "--rebuild")
    assert not list((index / "builds").glob(".tmp-*"))
    assert os.readlink(index / "current") != link
    assert ask_all(corpus, index).stdout == answers


def test_kill_9_half_way_through_qa_index(built: tuple[Path, Path, bytes], tmp_path: Path) -> None:
    """The plain case: `kill -9` half-way through `qa index --rebuild` (timed by the build of
    the fixture), while it loads the model, reads and embeds."""
    corpus, _, answers = built
    index = copy_index(built, tmp_path)
    link = os.readlink(index / "current")
    cmd = [*QA, "index", "--rebuild", "--corpus", str(corpus), "--index", str(index)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(BUILD_SECONDS[0] / 2)
    alive = proc.poll() is None
    proc.kill()
    proc.wait(timeout=30)
    assert alive, "the build finished before it could be killed"
    assert os.readlink(index / "current") == link
    assert ask_all(corpus, index).stdout == answers


# ---------------------------------------------------------------- corrupt index files


def _flip_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit
    path.write_bytes(bytes(data))


def _drop_last_byte(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-1])


def _append_byte(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\n")


DAMAGE: list[Callable[[Path], None]] = [_flip_middle, _drop_last_byte, _append_byte]


def test_every_index_file_is_checksummed(tmp_path: Path) -> None:
    """Each file the manifest lists, damaged by one bit or one byte, is caught at load time,
    and opening the engine rebuilds it with a note saying which file and why."""
    corpus = write_corpus(tmp_path / "corpus", dict(TINY_CORPUS))
    encoder = HashingEncoder()
    index = tmp_path / "index"
    ensure_index(corpus, index, encoder)
    build = current_build(index)
    assert build is not None
    files = sorted(read_manifest(build)["files"])
    assert {"index.faiss", "passages.jsonl", "sentences.npy"} <= set(files)
    assert any(f.startswith("bm25/") for f in files)
    question = "When was Carrow Point lighthouse built?"
    expected = Engine.open(corpus, index, encoder=encoder).ask(question).to_dict()
    caught = Counter[str]()
    for name in files:
        for damage in DAMAGE:
            build = current_build(index)
            assert build is not None
            damage(build / name)
            with pytest.raises(IndexCorrupt, match=name.replace(".", r"\.")):
                load(build)
            notes: list[str] = []
            engine = Engine.open(corpus, index, encoder=encoder, on_build=notes.append)
            assert notes and name in notes[0] and "rebuilding" in notes[0], notes
            assert engine.ask(question).to_dict() == expected
            caught[damage.__name__] += 1
    assert sum(caught.values()) == 3 * len(files)


CORRUPT = [
    pytest.param("passages.jsonl", _flip_middle, "fails its checksum", id="flipped-bit"),
    pytest.param("index.faiss", _drop_last_byte, "is missing or truncated", id="truncated"),
]


@pytest.mark.parametrize(("name", "damage", "words"), CORRUPT)
def test_qa_serve_rebuilds_a_corrupt_index_at_start_up(
    built: tuple[Path, Path, bytes],
    tmp_path: Path,
    name: str,
    damage: Callable[[Path], None],
    words: str,
) -> None:
    corpus, _, answers = built
    index = copy_index(built, tmp_path)
    build = current_build(index)
    assert build is not None
    damage(build / name)
    with qa_serve(corpus, index, tmp_path / "serve.log") as served:
        got = [
            httpx.post(f"{served.url}/ask", json={"question": q}, timeout=30).json()
            for q in QUESTIONS
        ]
        log = served.log_text()
    assert f"index file {name} {words}; rebuilding" in log
    assert "Traceback" not in log
    expected = [json.loads(line) for line in answers.splitlines()]
    assert [{k: v for k, v in a.items() if k != "timings_ms"} for a in got] == expected
    assert current_build(index) != build


# ---------------------------------------------------------------- index lifecycle in qa serve


def test_qa_serve_builds_a_missing_index_at_start_up(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path)
    index = tmp_path / "index"
    assert not index.exists()
    with qa_serve(corpus, index, tmp_path / "serve.log") as served:
        ready = httpx.get(f"{served.url}/readyz").json()
        answer = httpx.post(f"{served.url}/ask", json={"question": QUESTIONS[0]}).json()
        log = served.log_text()
    assert f"building the index for {corpus} (no index yet)" in log
    build = current_build(index)
    assert build is not None
    assert (
        ready["index_version"] == read_manifest(build)["index_version"] == answer["index_version"]
    )
    assert ready["sources"] == 2


def test_create_app_opens_and_builds_the_index_itself(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without an engine factory the app builds a missing index in its start-up hook, with a
    log line saying so, before it answers anything."""
    corpus = write_corpus(tmp_path / "corpus", dict(TINY_CORPUS))
    app = create_app(corpus=corpus, index=tmp_path / "index")
    with (
        caplog.at_level(logging.WARNING, logger="qa.server"),
        TestClient(app, base_url=LOCAL) as client,
    ):
        ready = client.get("/readyz").json()
        answer = client.post("/ask", json={"question": "When was the lighthouse built?"}).json()
    assert "building the index for" in caplog.text and "(no index yet)" in caplog.text
    assert ready["sources"] == 2 and answer["index_version"] == ready["index_version"]
    assert current_build(tmp_path / "index") is not None


class Hammer:
    """Client threads asking, fetching sources and probing readiness in a loop, each bounded in
    count and time; every response that is not a 200 is kept."""

    def __init__(
        self,
        url: str,
        threads: int = 4,
        limit: int = 5000,
        seconds: float = 120,
        source: str = SEED_002,
        paragraphs: int = 5,
    ):
        self.url, self.limit, self.deadline = url, limit, time.monotonic() + seconds
        self.source, self.paragraphs = source, paragraphs  # GET /sources of its first paragraphs
        self.stop = threading.Event()
        self.sent = Counter[str]()
        self.failures: list[str] = []
        self.versions: list[str] = []
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def __enter__(self) -> Hammer:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(timeout=60)

    def _run(self, n: int) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as c:
            for i in range(self.limit):
                if self.stop.is_set() or time.monotonic() > self.deadline:
                    return
                try:
                    if i % 3 == 0:
                        r = c.post("/ask", json={"question": QUESTIONS[(n + i) % len(QUESTIONS)]})
                        if r.status_code == 200:
                            self.versions.append(r.json()["index_version"])
                    elif i % 3 == 1:
                        r = c.get(f"/sources/{self.source}/{1 + i % self.paragraphs}")
                    else:
                        r = c.get("/readyz")
                    self.sent[str(r.status_code)] += 1
                    if r.status_code != 200:
                        self.failures.append(f"{r.request.url.path}: {r.status_code} {r.text}")
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")


def _wait_for_version(url: str, version: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while httpx.get(f"{url}/readyz").json()["index_version"] != version:
        assert time.monotonic() < deadline, f"index {version} was never swapped in"
        time.sleep(0.05)


@pytest.mark.long
def test_a_rebuild_swaps_in_while_serving_with_no_failed_request(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path)
    index = tmp_path / "index"
    qa_index(corpus, index)
    args = ["--reload-interval", "0.2"]
    with qa_serve(corpus, index, tmp_path / "serve.log", args) as served:
        first = httpx.get(f"{served.url}/readyz").json()["index_version"]
        before = httpx.post(f"{served.url}/ask", json={"question": "Who is the harbour master?"})
        with Hammer(served.url) as hammer:
            time.sleep(0.5)
            # two rebuilds back to back: the build the server started on is pruned under it
            (corpus / "zz_harbour.txt").write_text(
                "Rossmore harbour has a new harbour master, Aoife Keane, appointed in March.\n"
            )
            qa_index(corpus, index)
            (corpus / "zz_pier.txt").write_text(
                "The new pier at Rossmore opened on Friday after two years of work.\n"
            )
            third = json.loads(qa_index(corpus, index, "--json").stdout)["index_version"]
            _wait_for_version(served.url, third)
            time.sleep(0.5)  # and keep answering from the new index
        after = httpx.post(f"{served.url}/ask", json={"question": "Who is the harbour master?"})
        log = served.log_text()
    assert hammer.failures == []
    # the hammer ran across both swaps: it was answered from the first index and from the third
    # (a count of requests would measure the machine: a CI run once sent 91 where 100 were asked)
    assert hammer.sent["200"] >= 12, hammer.sent
    assert third != first and first in hammer.versions and third in hammer.versions
    assert f"index {third} swapped in" in log
    sources = {c["source"] for c in after.json()["citations"]}
    assert "zz_harbour.txt" in sources and "Aoife Keane" in after.text
    assert "Aoife Keane" not in before.text
    assert len(list((index / "builds").iterdir())) <= 2  # older builds were pruned


def _reloading_app(tmp_path: Path) -> tuple[Path, Path, HashingEncoder, Any]:
    """A tiny corpus indexed with the hashing encoder and an app that swaps in rebuilds."""
    corpus = write_corpus(tmp_path / "corpus", dict(TINY_CORPUS))
    index = tmp_path / "index"
    encoder = HashingEncoder()
    ensure_index(corpus, index, encoder)
    engine = Engine.open(corpus, index, encoder=encoder)
    return corpus, index, encoder, create_app(lambda: engine, reload=Reload(reopen_rebuilt, 0.05))


def test_a_rebuild_swaps_in_while_answering_in_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The swap above in the fast tier: the same hammer and the same two rebuilds back to back,
    with the hashing encoder, the server in a thread and the builds in this process."""
    corpus, index, encoder, app = _reloading_app(tmp_path)
    question = {"question": "Who is the harbour master?"}
    with caplog.at_level(logging.INFO, logger="qa.server"), running(app) as url:
        first = httpx.get(f"{url}/readyz").json()["index_version"]
        before = httpx.post(f"{url}/ask", json=question)
        with Hammer(url, seconds=60, source="lighthouse.txt", paragraphs=3) as hammer:
            time.sleep(0.5)
            (corpus / "zz_harbour.txt").write_text(
                "Rossmore harbour has a new harbour master, Aoife Keane, appointed in March.\n"
            )
            ensure_index(corpus, index, encoder)
            (corpus / "zz_pier.txt").write_text(
                "The new pier at Rossmore opened on Friday after two years of work.\n"
            )
            report = ensure_index(corpus, index, encoder)
            assert report is not None
            third = read_manifest(report.path)["index_version"]
            _wait_for_version(url, third)
            time.sleep(0.5)  # and keep answering from the new index
        after = httpx.post(f"{url}/ask", json=question)
    assert hammer.failures == []
    # the hammer ran across both swaps: it was answered from the first index and from the third
    # (a count of requests would measure the machine: a CI run once sent 91 where 100 were asked)
    assert hammer.sent["200"] >= 12, hammer.sent
    assert third != first and first in hammer.versions and third in hammer.versions
    assert f"index {third} swapped in" in caplog.text
    sources = {c["source"] for c in after.json()["citations"]}
    assert "zz_harbour.txt" in sources and "Aoife Keane" in after.text
    assert "Aoife Keane" not in before.text
    assert len(list((index / "builds").iterdir())) <= 2  # older builds were pruned


def test_a_broken_rebuild_is_not_swapped_in(tmp_path: Path) -> None:
    """A new build that fails to load is logged once; the server keeps its index."""
    corpus, index, encoder, app = _reloading_app(tmp_path)
    with running(app) as url:
        version = httpx.get(f"{url}/readyz").json()["index_version"]
        (corpus / "pier.txt").write_text("The new pier at Rossmore opened on Friday.\n")
        ensure_index(corpus, index, encoder)
        build = current_build(index)
        assert build is not None
        _flip_middle(build / "passages.jsonl")
        time.sleep(0.5)
        assert httpx.get(f"{url}/readyz").json()["index_version"] == version
        assert httpx.post(f"{url}/ask", json={"question": "Who teaches?"}).status_code == 200


# ---------------------------------------------------------------- shutdown


def test_shutdown_drains_requests_in_flight() -> None:
    engine = FakeEngine(delay=1.0)
    # a deadline the fake's 1-s batches cannot miss: the admission policy (tested elsewhere)
    # would refuse a second batch queued behind a slow first one, which is not what this tests
    limits = Limits(deadline_s=60.0)
    with in_thread(create_app(lambda: engine, limits=limits)) as (url, server):

        async def in_flight() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=url, timeout=30) as c:
                message = {"role": "user", "content": "streamed?"}
                chat = {"model": "qa-extractive", "stream": True, "messages": [message]}
                asks = [c.post("/ask", json={"question": f"q{i}?"}) for i in range(8)]
                streamed = c.post("/v1/chat/completions", json=chat)
                tasks = [asyncio.ensure_future(x) for x in [*asks, streamed]]
                deadline = time.monotonic() + 10
                while not engine.batches:  # the batch is now being answered
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.01)
                server.should_exit = True  # what SIGTERM does: stop accepting, finish the rest
                return list(await asyncio.gather(*tasks))

        responses = asyncio.run(in_flight())
        with pytest.raises(httpx.ConnectError):  # no longer accepting
            httpx.get(f"{url}/healthz", timeout=2)
    assert [r.status_code for r in responses] == [200] * 9
    assert [r.json()["question"] for r in responses[:8]] == [f"q{i}?" for i in range(8)]
    assert responses[-1].text.rstrip().endswith("data: [DONE]")
