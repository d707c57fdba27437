"""The index on disk: plain files in a build folder, swapped in atomically.

    <index_dir>/
      current -> builds/<version>-<stamp>     symlink, replaced atomically (os.replace)
      builds/<version>-<stamp>/
        manifest.json      model + weights hash, dimension, chunking, checksums; per corpus
                           file its size, time and hash, its line in documents.jsonl, its
                           passage rows and its paragraphs left out as duplicates
        documents.jsonl    every readable source's text (extracted, for formats other than
                           .txt), paragraphs, sentences and MinHash signatures (qa.ingest.documents)
        index.faiss        dense vectors of the passages (inner product over unit vectors):
                           exact IndexFlatIP when small, IndexIVFFlat when large
                           (qa.index.vector_index)
        sentences.faiss    the same for every passage sentence (sentence-level retrieval)
        sentences.npy      the sentence vectors again, memory-mapped for feature look-ups
        passages.jsonl     passages with their sentences' offsets and duplicate copies
        offsets.npy        per passage: byte offset of its line in passages.jsonl and its first
                           sentence row (one extra row for the totals), for lazy look-ups
        idf.json           inverse document frequency of every stemmed term
        bm25/              bm25s index over the passages' stemmed terms
      .lock                held while building, so two builders never race

A build is written to ``builds/.tmp-*`` and only becomes visible when ``current`` points at it,
so a crash mid-build leaves the previous index untouched.

Loading is cheap whatever the size: the FAISS indexes are memory-mapped (IO_FLAG_MMAP_IFC), so
are the sentence vectors and the BM25 arrays, and passages are decoded from passages.jsonl only
when a query touches them. BM25 is scored at query time from bm25s's saved sparse arrays with
numpy alone, so neither bm25s nor scipy is imported to answer.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import mmap
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import msgspec
import numpy as np

from qa.core.errors import IndexCorrupt, IndexMismatch
from qa.core.types import Passage, Sentence, Span
from qa.index.bm25 import SparseBM25
from qa.index.vector_index import read_vector_index
from qa.ingest.corpus import scan

FORMAT_VERSION = 8  # 8: PDF text with its typographic ligatures spelled out (a full rebuild)
DATA_FILES = (
    "documents.jsonl",
    "index.faiss",
    "sentences.faiss",
    "sentences.npy",
    "passages.jsonl",
    "offsets.npy",
    "idf.json",
)
# Files larger than this are checked by size only at load: hashing them on every start would
# read the whole index and defeat memory-mapping (structural checks still catch truncation).
CHECKSUM_LIMIT = 64 * 1024 * 1024


# ---------------------------------------------------------------- hashing


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def corpus_state(folder: Path) -> dict[str, dict[str, Any]]:
    """Size, mtime and content hash of every corpus file (skipped ones included)."""
    state = {}
    for f in scan(folder):
        state[f.source] = {"size": f.size, "mtime_ns": f.mtime_ns, "sha256": sha256_file(f.path)}
    return state


def corpus_hash(state: dict[str, dict[str, Any]]) -> str:
    joined = "\n".join(f"{name}\t{meta['sha256']}" for name, meta in sorted(state.items()))
    return hashlib.sha256(joined.encode()).hexdigest()


def index_version(settings: dict[str, Any]) -> str:
    blob = json.dumps(settings, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


# ---------------------------------------------------------------- layout


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def current_build(index_dir: Path) -> Path | None:
    link = index_dir / "current"
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def new_build_dir(index_dir: Path) -> Path:
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    for stale in builds.glob(".tmp-*"):  # left by a crashed build
        shutil.rmtree(stale, ignore_errors=True)
    for link in index_dir.glob(".current-*"):  # made by a publish killed before its swap
        link.unlink(missing_ok=True)
    path = builds / f".tmp-{os.getpid()}-{time.time_ns()}"
    path.mkdir()
    return path


def publish(index_dir: Path, tmp: Path, manifest: dict[str, Any]) -> Path:
    """Checksum the data files, write the manifest, fsync, and swap ``current`` atomically."""
    files = {}
    for name in DATA_FILES:
        path = tmp / name
        files[name] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    for path in sorted((tmp / "bm25").iterdir()):
        files[f"bm25/{path.name}"] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    manifest = {**manifest, "files": files}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    for path in [*tmp.iterdir(), *(tmp / "bm25").iterdir()]:
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
    final = tmp.with_name(f"{manifest['index_version']}-{time.time_ns()}")
    tmp.rename(final)
    link_tmp = index_dir / f".current-{os.getpid()}"
    if link_tmp.is_symlink():
        link_tmp.unlink()
    os.symlink(os.path.relpath(final, index_dir), link_tmp)
    previous = current_build(index_dir)
    os.replace(link_tmp, index_dir / "current")
    _prune(index_dir, keep={final.resolve(), previous})
    return final


def _prune(index_dir: Path, keep: set[Path | None]) -> None:
    """Remove every build but ``keep``: the new one and the one `current` pointed at before it,
    for readers that still use it (a build a killed publish renamed but never linked goes too)."""
    for old in (index_dir / "builds").iterdir():
        if old.is_dir() and not old.name.startswith(".") and old.resolve() not in keep:
            shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- writing


def _passage_row(p: Passage) -> dict[str, Any]:
    def spans(items: tuple[Span, ...]) -> list[list[Any]]:
        return [[s.source, s.paragraph, s.start, s.end] for s in items]

    return {
        "id": p.id,
        "source": p.source,
        "paragraph": p.paragraph,
        "start": p.start,
        "end": p.end,
        "text": p.text,
        "sentences": [[s.start, s.end, spans(s.also_in)] for s in p.sentences],
        "also_in": spans(p.also_in),
    }


def write_passages(path: Path, passages: Sequence[Passage]) -> list[int]:
    """One JSON object per line; returns the byte offset of every line, plus the file size."""
    offsets = [0]
    encoder = msgspec.json.Encoder()
    with path.open("wb") as fh:
        for p in passages:
            line = encoder.encode(_passage_row(p)) + b"\n"
            fh.write(line)
            offsets.append(offsets[-1] + len(line))
    return offsets


def write_offsets(path: Path, line_offsets: Sequence[int], passages: Sequence[Passage]) -> None:
    """offsets.npy: per passage its line's byte offset and its first sentence row (+ totals)."""
    rows = np.zeros((len(passages) + 1, 2), dtype=np.int64)
    rows[:, 0] = line_offsets
    rows[1:, 1] = np.cumsum([len(p.sentences) for p in passages], dtype=np.int64)
    np.save(path, rows)


# ---------------------------------------------------------------- reading


def _sentence_spans(items: list[list[Any]]) -> tuple[Span, ...]:
    return tuple(Span(*c) for c in items)


def _passage(r: dict[str, Any]) -> Passage:
    base, text = r["start"], r["text"]
    sents = tuple(
        Sentence(
            r["source"], r["paragraph"], s, e, text[s - base : e - base], _sentence_spans(copies)
        )
        for s, e, copies in r["sentences"]
    )
    return Passage(
        r["id"],
        r["source"],
        r["paragraph"],
        r["start"],
        r["end"],
        text,
        sents,
        _sentence_spans(r["also_in"]),
    )


def read_passages(path: Path) -> list[Passage]:
    decoder = msgspec.json.Decoder()
    with path.open("rb") as fh:
        return [_passage(decoder.decode(line)) for line in fh]


def stored_vectors(build: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A build's passage vectors (read back from its FAISS index), its sentence vectors
    (memory-mapped) and each passage's first sentence row: what a refresh reuses."""
    import faiss

    index = faiss.read_index(str(build / "index.faiss"))
    if index.ntotal and not isinstance(index, faiss.IndexFlat):
        faiss.extract_index_ivf(index).make_direct_map()
    passages = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d))
    rows = np.load(build / "offsets.npy")
    sentences = np.load(build / "sentences.npy", mmap_mode="r")
    return np.asarray(passages, dtype=np.float32), sentences, rows[:, 1]


class PassageList(Sequence[Passage]):
    """The passages of passages.jsonl, decoded on first use from a memory map (and cached), so
    opening an index of a million passages costs nothing until a query touches them."""

    def __init__(self, path: Path, line_offsets: np.ndarray, cache_size: int = 100_000) -> None:
        self._offsets = np.asarray(line_offsets, dtype=np.int64)
        self._path = path
        self._decoder = msgspec.json.Decoder()
        self._cache: dict[int, Passage] = {}
        self._cache_size = cache_size
        self._data: mmap.mmap | bytes = b""
        if len(self._offsets) > 1 and self._offsets[-1] > 0:
            with path.open("rb") as fh:
                self._data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)

    @classmethod
    def of(cls, build: Path) -> PassageList:
        """The passages of a build folder."""
        return cls(build / "passages.jsonl", np.load(build / "offsets.npy")[:, 0])

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def _decode(self, i: int) -> Passage:
        lo, hi = int(self._offsets[i]), int(self._offsets[i + 1])
        try:
            return _passage(self._decoder.decode(self._data[lo:hi]))
        except (msgspec.DecodeError, KeyError, TypeError, ValueError) as exc:
            raise IndexCorrupt(f"passage {i} in {self._path} cannot be read ({exc})") from exc

    @overload
    def __getitem__(self, i: int) -> Passage: ...

    @overload
    def __getitem__(self, i: slice) -> list[Passage]: ...

    def __getitem__(self, i: int | slice) -> Passage | list[Passage]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("passage index out of range")
        p = self._cache.get(i)
        if p is None:
            p = self._decode(i)
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[i] = p
        return p

    def __iter__(self) -> Iterator[Passage]:
        for i in range(len(self)):
            yield self._cache.get(i) or self._decode(i)


@dataclass(frozen=True)
class StoredIndex:
    path: Path
    manifest: dict[str, Any]
    passages: Sequence[Passage]
    sentence_vectors: np.ndarray  # (n_sentences, dim), rows in passage order
    sentence_base: np.ndarray  # index of each passage's first sentence row
    dense: Any  # faiss.Index over passages
    sentence_dense: Any  # faiss.Index over sentences
    sentence_passage: np.ndarray  # passage row of each sentence row
    bm25: SparseBM25
    idf: dict[str, float]
    sources: tuple[str, ...] = field(default=())  # corpus files that have passages


def read_manifest(build: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((build / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"index manifest in {build} is unreadable ({exc})") from exc
    if not isinstance(manifest, dict):
        raise IndexCorrupt(f"index manifest in {build} is unreadable (not a JSON object)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(f"index in {build} has another format version")
    return manifest


def verify_files(build: Path, manifest: dict[str, Any], full: bool = False) -> None:
    for name, meta in manifest.get("files", {}).items():
        path = build / name
        if not path.is_file() or path.stat().st_size != meta["size"]:
            raise IndexCorrupt(f"index file {name} is missing or truncated")
        if (full or meta["size"] <= CHECKSUM_LIMIT) and sha256_file(path) != meta["sha256"]:
            raise IndexCorrupt(f"index file {name} fails its checksum")


def load(build: Path) -> StoredIndex:
    manifest = read_manifest(build)
    verify_files(build, manifest)
    inconsistent = IndexCorrupt(f"index in {build} is inconsistent: rebuild it with qa index")
    try:
        rows = np.load(build / "offsets.npy")
        if rows.ndim != 2 or int(rows[-1, 0]) != (build / "passages.jsonl").stat().st_size:
            raise inconsistent
        passages = PassageList(build / "passages.jsonl", rows[:, 0])
        vectors = np.load(build / "sentences.npy", mmap_mode="r")
        dense = read_vector_index(build / "index.faiss")
        sentence_dense = read_vector_index(build / "sentences.faiss")
        bm25 = SparseBM25.load(build / "bm25")
        idf = json.loads((build / "idf.json").read_text())
        # the first and last rows must decode (the others are decoded when first used)
        last_count = len(passages[-1].sentences) if len(passages) and passages[0] else 0
    except IndexCorrupt:
        raise
    except Exception as exc:  # any decoding failure of a checksummed file is corruption
        raise IndexCorrupt(f"index in {build} cannot be read ({exc})") from exc
    n = len(passages)
    base = np.ascontiguousarray(rows[:-1, 1])
    n_sent = int(rows[-1, 1])
    if (
        dense.ntotal != n
        or vectors.shape[0] != n_sent
        or sentence_dense.ntotal != n_sent
        or bm25.num_docs != max(n, 1)
        or (n > 0 and int(base[-1]) + last_count != n_sent)
    ):
        raise inconsistent
    owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(rows[:, 1]))
    sources = tuple(manifest.get("sources", ()))
    return StoredIndex(
        build, manifest, passages, vectors, base, dense, sentence_dense, owner, bm25, idf, sources
    )
