"""Building the index on a Ray cluster: `qa index --ray [ADDRESS]`.

Ray Data runs the stages that work file by file or text by text on the cluster's worker
processes; the driver (this process) keeps the steps that need the whole corpus, and
``qa.index.build.build_index`` writes and publishes the index with the same code as a
single-process build. The two builds give the same files, vectors included, bit for bit:

1. scan (Ray tasks): read each file, parse it (paragraphs, chrome, sentences) and compute the
   MinHash signatures of its paragraphs (``qa.ingest.dedupe``), file by file on the workers;
2. driver: near-duplicate pairs from the signatures; copies attached to canonical sentences;
3. chunk (Ray tasks): each document's passages, duplicate paragraphs left out; the driver
   numbers them in corpus order;
4. embed (a pool of Ray actors, ``map_batches``): each actor holds one ONNX encoder on one core
   (onnxruntime with one thread), loaded from the model files the driver ships through the
   object store, so no node needs torch or a model export of its own. Texts travel in the
   groups the single-process build encodes them in (``encode_plan``): a vector depends, in its
   last bits, on the batch it was computed in, not on the number of threads (measured).

Faults: a task is retried and an actor restarted (its lost work retried) up to ``RETRIES``
times — Ray Data's defaults retry forever, which would turn a worker that always crashes into a
build that never ends. Any other failure is a ``ClusterError``; nothing is written before every
stage has returned, so the previous index stays current.

Ray is imported here only, and this module only with ``--ray``: it is the optional extra
``qa-cite[ray]``. Every node needs this package installed (same version) and the corpus at the
same path (a shared filesystem); the index is written on the driver's disk.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import resource
import shutil
import socket
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from qa.core.errors import ClusterError, CorpusError
from qa.core.types import Document, Passage, Sentence
from qa.index.build import encode_plan
from qa.index.chunking import ChunkSettings, chunk_document
from qa.index.embedding import Encoder, OnnxEncoder, token_counter
from qa.ingest.corpus import SUPPORTED, document_of, read_bytes, scan
from qa.ingest.dedupe import Signatures, attach_copies, find_duplicates, signatures, with_copies
from qa.ingest.formats.guard import Guard

RETRIES = 3
FILES_PER_TASK = 16
log = logging.getLogger(__name__)


def _ray() -> Any:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # never report usage anywhere
    # Ray's notes go to its log files (/tmp/ray/session_latest/logs), not the user's terminal;
    # its failures still reach the user, as exceptions
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    try:
        import ray
        import ray.data
    except ImportError:
        raise ClusterError(
            "Ray is not installed — pip install 'qa-cite[ray]' (or: make setup)"
        ) from None
    return ray


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Notes(io.TextIOBase):
    """A stdout for Ray's notes while connected: each line goes to the debug log."""

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                log.debug("ray: %s", line)
        return len(text)


class _Warnings(logging.Handler):
    """Collects the package's warnings on a worker, for the driver to show."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _scan(batch: dict[str, Any]) -> dict[str, Any]:
    """Read and parse files (one Ray task per batch of files)."""
    qa_log = logging.getLogger("qa")
    caught = _Warnings()
    qa_log.addHandler(caught)
    try:
        docs = []
        with Guard() as guard:  # formats other than .txt: converted in a limited child process
            for path, source in zip(batch["path"], batch["source"], strict=True):
                data = read_bytes(Path(path), source)
                doc = document_of(source, data, guard.blocks) if data is not None else None
                docs.append(pickle.dumps((doc, signatures(doc) if doc else None)))
    finally:
        qa_log.removeHandler(caught)
    warnings = [""] * len(docs)
    if docs:
        warnings[0] = "\n".join(caught.messages)
    return {"order": batch["order"], "doc": docs, "warnings": warnings}


def _chunk(
    batch: dict[str, Any], settings: ChunkSettings, model_limit: int, tokenizer: str
) -> dict[str, Any]:
    """Passages of documents, duplicate paragraphs left out (one Ray task per batch)."""
    count = token_counter(tokenizer)
    out = []
    for blob in batch["doc"]:
        doc, skip = pickle.loads(blob)
        out.append(pickle.dumps(chunk_document(doc, settings, model_limit, count, skip, 0)))
    return {"order": batch["order"], "passages": out}


class _Embed:
    """A Ray actor holding one ONNX encoder on one core."""

    def __init__(self, files: Any, model: str) -> None:
        import ray

        folder = Path(tempfile.mkdtemp(prefix="qa-encoder-"))
        try:
            for name, data in ray.get(files).items():
                (folder / name).write_bytes(data)
            self.encoder = OnnxEncoder(folder, threads=1, model=folder / model)
            self.encoder.encode(["warm-up"])  # the session is loaded: the files can go
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        vectors = [self.encoder.encode(pickle.loads(b)).tobytes() for b in batch["texts"]]
        n = len(vectors)
        return {
            "kind": batch["kind"],
            "group": batch["group"],
            "vectors": vectors,
            "pid": [os.getpid()] * n,
            "seconds": [(time.perf_counter() - started) / n] * n,
            "peak_mb": [_peak_mb()] * n,
        }


class RayBuilder:
    """Runs a build's per-file and per-text stages on a Ray cluster (``qa.index.build.Builder``).

    ``address``: a running cluster (``HOST:PORT`` as ``ray start --head`` prints it, or "auto"),
    or None to start a local Ray runtime for this build. ``workers``: encoder actors (default:
    one per CPU of the cluster). Use it as a context manager: leaving it disconnects (and stops
    a local runtime). ``workers_seen`` records, per encoder process, the texts it embedded,
    its seconds of work and its peak memory; ``driver_peak_mb`` the driver's.
    """

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ClusterError("--ray-workers must be at least 1")
        self.address = address
        self.workers = workers
        self.workers_seen: dict[int, dict[str, float]] = {}
        self.signatures: dict[str, Signatures] = {}  # of the last prepare's documents
        self.driver_peak_mb = 0.0
        self._connected = False
        self._stdout: Any = sys.stdout

    def __enter__(self) -> RayBuilder:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._connected:
            _ray().shutdown()
            self._connected = False
            sys.stdout = self._stdout

    def _connect(self) -> Any:
        if self.address is None and "ray" not in sys.modules:
            # a local runtime stays on 127.0.0.1 (Ray's single-machine mode; without it Ray
            # listens on the machine's network address)
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        ray = _ray()
        if self._connected:
            return ray
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
        }
        if self.address is not None:
            _check_reachable(self.address)
        try:
            if self.address is None:
                ray.init(
                    address="local",
                    num_cpus=os.cpu_count(),
                    _node_ip_address="127.0.0.1",
                    **options,
                )
            else:
                ray.init(address=self.address, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "a local runtime"
            raise ClusterError(f"cannot start or reach the Ray cluster at {where}: {exc}") from None
        self._connected = True
        # Ray prints the cluster's notes ("a worker died…") on stdout from a thread of its
        # own; they go to the debug log instead, so stdout keeps only what the command prints
        self._stdout, sys.stdout = sys.stdout, _Notes()
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.CRITICAL)  # failures arrive as exceptions
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        return ray

    def _run(self, rows: Any) -> Iterator[Any]:
        """Iterate a dataset's rows; a failure on the cluster becomes one ClusterError."""
        ray = _ray()
        try:
            yield from rows.iter_rows()
        except (ray.exceptions.RayError, ray.exceptions.RaySystemError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ClusterError(f"the Ray build failed: {first}") from None
        finally:
            self.driver_peak_mb = max(self.driver_peak_mb, _peak_mb())

    def prepare(
        self, corpus: Path, encoder: Encoder, chunk: ChunkSettings
    ) -> tuple[list[Document], list[Passage], dict[str, set[int]]]:
        folder = _onnx(encoder).folder
        ray = self._connect()
        paths = scan(corpus)  # the files left out were reported by the caller's walk
        items = [
            {"order": i, "path": str(f.path.absolute()), "source": f.source}
            for i, f in enumerate(paths)
        ]
        scanned = _file_tasks(ray, items, _scan)
        found: dict[int, tuple[Document | None, Any]] = {}
        for row in self._run(scanned):
            found[row["order"]] = pickle.loads(row["doc"])
            for message in filter(None, row["warnings"].split("\n")):
                log.warning("%s", message)
        in_order = (found.pop(i) for i in range(len(paths)))
        readable = [(doc, sig) for doc, sig in in_order if doc is not None]
        if not readable:
            raise CorpusError(f"no readable {SUPPORTED} files in {corpus} — pass --corpus DIR")
        docs = [doc for doc, _ in readable]
        # kept for the documents stored with the build, as a local build stores them
        self.signatures = {doc.source: sig for doc, sig in readable}
        canonical = find_duplicates(docs, [sig for _, sig in readable])
        del found, readable
        docs, skip, copies = attach_copies(docs, canonical)
        items = [
            {"order": i, "doc": pickle.dumps((d, skip.get(d.source, set())))}
            for i, d in enumerate(docs)
        ]
        chunked = _file_tasks(
            ray,
            items,
            _chunk,
            fn_kwargs={
                "settings": chunk,
                "model_limit": encoder.max_seq_length,
                "tokenizer": (folder / "tokenizer.json").read_text(),
            },
        )
        per_doc: dict[int, list[Passage]] = {}
        for row in self._run(chunked):
            per_doc[row["order"]] = pickle.loads(row["passages"])
        passages = [p for i in range(len(docs)) for p in per_doc.pop(i)]
        passages = [replace(p, id=n) for n, p in enumerate(passages)]
        return docs, with_copies(passages, docs, copies), skip

    def embed(
        self, encoder: Encoder, passages: Sequence[Passage], sentences: Sequence[Sentence]
    ) -> tuple[np.ndarray, np.ndarray]:
        encoder = _onnx(encoder)
        folder = encoder.folder
        ray = self._connect()
        kinds = ([p.text for p in passages], [s.text for s in sentences])
        out = [np.zeros((len(t), encoder.dim), dtype=np.float32) for t in kinds]
        plans = [encode_plan(texts) for texts in kinds]
        items = [
            {"kind": k, "group": g, "texts": pickle.dumps([kinds[k][i] for i in idx])}
            for k, plan in enumerate(plans)
            for g, idx in enumerate(plan)
        ]
        if not items:
            return out[0], out[1]
        files = {name: (folder / name).read_bytes() for name in ("meta.json", "tokenizer.json")}
        files[encoder.model_path.name] = encoder.model_path.read_bytes()
        size = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        embedded = _map(
            ray.data.from_items(items, override_num_blocks=len(items)),
            _Embed,
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=min(size, len(items))),
            num_cpus=1,
            max_restarts=RETRIES,
            max_task_retries=RETRIES,
            fn_constructor_kwargs={"files": ray.put(files), "model": encoder.model_path.name},
        )
        for row in self._run(embedded):
            idx = plans[row["kind"]][row["group"]]
            out[row["kind"]][idx] = np.frombuffer(row["vectors"], np.float32).reshape(
                len(idx), encoder.dim
            )
            seen = self.workers_seen.setdefault(
                int(row["pid"]), {"texts": 0, "seconds": 0.0, "peak_mb": 0.0}
            )
            seen["texts"] += len(idx)
            seen["seconds"] += float(row["seconds"])
            seen["peak_mb"] = max(seen["peak_mb"], float(row["peak_mb"]))
        return out[0], out[1]


def _check_reachable(address: str) -> None:
    """Fail fast when nothing listens at HOST:PORT: ``ray.init`` would retry for many minutes."""
    if address == "auto" or "://" in address:
        return
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        raise ClusterError(f"--ray ADDRESS must be HOST:PORT or auto, not {address!r}")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=10).close()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ClusterError(
            f"cannot reach the Ray cluster at {address}: {reason} — is `ray start --head` "
            "running there, and is ADDRESS its HOST:PORT?"
        ) from None


def _file_tasks(ray: Any, items: list[dict[str, Any]], fn: Any, **options: Any) -> Any:
    """A stage of Ray tasks over the corpus, FILES_PER_TASK files a task, one core each."""
    dataset = ray.data.from_items(items)
    return _map(dataset, fn, batch_size=FILES_PER_TASK, num_cpus=1, max_retries=RETRIES, **options)


def _map(dataset: Any, fn: Any, **options: Any) -> Any:
    """``map_batches`` with bounded retries. Ray 2.60 takes them as remote arguments, which it
    says it will stop taking in 2.64 (hence the extra's pin below 2.64); the warning is noise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return dataset.map_batches(fn, **options)


def _onnx(encoder: Encoder) -> OnnxEncoder:
    """The encoder whose files the workers get: a Ray build ships the ONNX export."""
    if not isinstance(encoder, OnnxEncoder):
        raise ClusterError("a Ray build needs the ONNX encoder (qa.index.embedding.OnnxEncoder)")
    return encoder
