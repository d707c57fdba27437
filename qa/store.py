"""The index on disk: plain files in a build folder, swapped in atomically.

    <index_dir>/
      current -> builds/<version>-<stamp>     symlink, replaced atomically (os.replace)
      builds/<version>-<stamp>/
        manifest.json      model + weights hash, dimension, chunking, corpus hashes, checksums
        index.faiss        dense vectors of the passages (inner product over unit vectors)
        sentences.faiss    the same for every passage sentence (sentence-level retrieval)
        sentences.npy      the sentence vectors again, memory-mapped for feature look-ups
        passages.jsonl     passages with their sentences' offsets and duplicate copies
        idf.json           inverse document frequency of every stemmed term
        bm25/              bm25s index over the passages' stemmed terms
      .lock                held while building, so two builders never race

A build is written to ``builds/.tmp-*`` and only becomes visible when ``current`` points at it,
so a crash mid-build leaves the previous index untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from qa.corpus import list_sources
from qa.errors import IndexCorrupt, IndexMismatch
from qa.types import Passage, Sentence, Span

FORMAT_VERSION = 2
DATA_FILES = ("index.faiss", "sentences.faiss", "sentences.npy", "passages.jsonl", "idf.json")
CHECKSUM_LIMIT = 512 * 1024 * 1024  # files larger than this are checked by size only at load


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
    for path in list_sources(folder):
        st = path.stat()
        state[path.name] = {
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "sha256": sha256_file(path),
        }
    return state


def corpus_hash(state: dict[str, dict[str, Any]]) -> str:
    joined = "\n".join(f"{name}\t{meta['sha256']}" for name, meta in sorted(state.items()))
    return hashlib.sha256(joined.encode()).hexdigest()


def corpus_unchanged(folder: Path, recorded: dict[str, dict[str, Any]]) -> bool:
    """Cheap check: file names and sizes must match; content is hashed only when mtime moved."""
    try:
        paths = list_sources(folder)
    except Exception:
        return False
    if sorted(p.name for p in paths) != sorted(recorded):
        return False
    for path in paths:
        meta = recorded[path.name]
        st = path.stat()
        if st.st_size != meta["size"]:
            return False
        if st.st_mtime_ns != meta["mtime_ns"] and sha256_file(path) != meta["sha256"]:
            return False
    return True


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
    os.replace(link_tmp, index_dir / "current")
    _prune(index_dir, keep=final)
    return final


def _prune(index_dir: Path, keep: Path) -> None:
    """Remove older builds, but keep the one before ``keep`` for readers that still use it."""
    builds = sorted(
        (p for p in (index_dir / "builds").iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime_ns,
    )
    for old in [p for p in builds if p != keep][:-1]:
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- writing


def write_passages(path: Path, passages: list[Passage]) -> None:
    def spans(items: tuple[Span, ...]) -> list[list[Any]]:
        return [[s.source, s.paragraph, s.start, s.end] for s in items]

    with path.open("wb") as fh:
        for p in passages:
            row = {
                "id": p.id,
                "source": p.source,
                "paragraph": p.paragraph,
                "start": p.start,
                "end": p.end,
                "text": p.text,
                "sentences": [[s.start, s.end, spans(s.also_in)] for s in p.sentences],
                "also_in": spans(p.also_in),
            }
            fh.write(msgspec.json.encode(row) + b"\n")


def read_passages(path: Path) -> list[Passage]:
    decoder = msgspec.json.Decoder()
    out = []
    with path.open("rb") as fh:
        for line in fh:
            r = decoder.decode(line)
            base, text = r["start"], r["text"]
            sents = tuple(
                Sentence(
                    r["source"],
                    r["paragraph"],
                    s,
                    e,
                    text[s - base : e - base],
                    tuple(Span(*c) for c in copies),
                )
                for s, e, copies in r["sentences"]
            )
            out.append(
                Passage(
                    r["id"],
                    r["source"],
                    r["paragraph"],
                    r["start"],
                    r["end"],
                    text,
                    sents,
                    tuple(Span(*c) for c in r["also_in"]),
                )
            )
    return out


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class StoredIndex:
    path: Path
    manifest: dict[str, Any]
    passages: list[Passage]
    sentence_vectors: np.ndarray  # (n_sentences, dim), rows in passage order
    sentence_base: np.ndarray  # index of each passage's first sentence row
    dense: Any  # faiss.Index over passages
    sentence_dense: Any  # faiss.Index over sentences
    sentence_passage: np.ndarray  # passage row of each sentence row
    bm25: Any  # bm25s.BM25
    idf: dict[str, float]


def read_manifest(build: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((build / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"index manifest in {build} is unreadable ({exc})") from exc
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
    import bm25s
    import faiss

    manifest = read_manifest(build)
    verify_files(build, manifest)
    try:
        passages = read_passages(build / "passages.jsonl")
        vectors = np.load(build / "sentences.npy", mmap_mode="r")
        dense = faiss.read_index(str(build / "index.faiss"))
        sentence_dense = faiss.read_index(str(build / "sentences.faiss"))
        bm25 = bm25s.BM25.load(str(build / "bm25"), mmap=False, show_progress=False)
        idf = json.loads((build / "idf.json").read_text())
    except Exception as exc:  # any decoding failure of a checksummed file is corruption
        raise IndexCorrupt(f"index in {build} cannot be read ({exc})") from exc
    counts = np.array([len(p.sentences) for p in passages], dtype=np.int64)
    base = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else counts
    n_sent = int(counts.sum())
    if (
        dense.ntotal != len(passages)
        or vectors.shape[0] != n_sent
        or sentence_dense.ntotal != n_sent
    ):
        raise IndexCorrupt(f"index in {build} is inconsistent: rebuild it with qa index")
    owner = np.repeat(np.arange(len(passages), dtype=np.int64), counts)
    return StoredIndex(
        build, manifest, passages, vectors, base, dense, sentence_dense, owner, bm25, idf
    )
