"""What changed since the last build, and the corpus read with as little work as that allows.

The rule (docs/formats.md, "Keeping the index current"): the manifest records every corpus file's
size, modification time and content hash (SHA-256). A refresh walks the folder once
(``qa.ingest.corpus.walk``) and, for each file:

  * same size and modification time as recorded: **unchanged**, not opened;
  * otherwise it is read once; the same hash: unchanged (only touched); another: **changed**;
  * not recorded: **added**; recorded but gone: **removed**.

Added and changed files are parsed from the bytes just read (one read per file per refresh).
Unchanged files are rebuilt from the previous build's stored document (``documents.jsonl``:
text, paragraphs, sentences, MinHash signatures), their passages and vectors reused by the
build when their near-duplicate links leave their passages as they were (``qa.index.build``).
A previous build made with other settings (model, chunking, format or package version) is not
reused: everything is read again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from qa import __version__
from qa.core.errors import IndexCorrupt, IndexMismatch
from qa.core.types import Document, Passage
from qa.index.chunking import ChunkSettings
from qa.index.store import current_build, read_manifest, stored_vectors
from qa.index.vector_index import vector_policy
from qa.ingest.corpus import SourceFile, document_of, read_bytes, walk
from qa.ingest.dedupe import Signatures, signatures
from qa.ingest.documents import (
    DocumentsFile,
    decode_record,
    document_of_record,
    record_line,
    signatures_of_record,
)
from qa.ingest.formats.guard import Guard

log = logging.getLogger("qa")

KEEP_BYTES = 256 * 1024 * 1024  # changed files' bytes kept between the check and the build


@dataclass
class Previous:
    """The build a refresh starts from (made with the same settings)."""

    path: Path
    manifest: dict[str, Any]
    documents: DocumentsFile

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        files: dict[str, dict[str, Any]] = self.manifest["corpus"]["files"]
        return files


@dataclass
class Changes:
    """The outcome of comparing the walk with the previous build's manifest."""

    files: list[SourceFile]
    state: dict[str, dict[str, Any]]  # what the new manifest records per file
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    data: dict[str, bytes] = field(default_factory=dict)  # bytes already read of changed files

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "reused": len(self.unchanged),
        }


def settings_reason(
    manifest: dict[str, Any], encoder_meta: dict[str, Any], chunk: ChunkSettings
) -> str | None:
    """Why a build made with ``manifest`` cannot serve (or seed a refresh) with these settings."""
    if manifest.get("model") != encoder_meta or manifest.get("chunking") != chunk.to_dict():
        return "model or chunking settings changed"
    if manifest.get("vector_policy") != vector_policy():
        return "vector index settings changed"
    if manifest.get("package_version") != __version__:
        return "package version changed"
    return None


def previous_build(
    index_dir: Path, encoder_meta: dict[str, Any], chunk: ChunkSettings
) -> tuple[Previous | None, str | None]:
    """The current build when a refresh can start from it; else None and why not."""
    build = current_build(index_dir)
    if build is None:
        return None, "no index yet"
    try:
        manifest = read_manifest(build)
    except (IndexCorrupt, IndexMismatch) as exc:
        return None, str(exc)
    reason = settings_reason(manifest, encoder_meta, chunk)
    if reason is not None:
        return None, reason
    return Previous(build, manifest, DocumentsFile(build / "documents.jsonl")), None


def stale_reason(
    corpus: Path, index_dir: Path, encoder_meta: dict[str, Any], chunk: ChunkSettings
) -> str | None:
    """Why the index must be (re)built, or None when it matches the corpus and settings."""
    previous, reason = previous_build(index_dir, encoder_meta, chunk)
    if previous is None:
        return reason
    files, _ = walk(corpus)
    return "corpus changed" if compare(files, previous.files).any else None


def sha256_bytes(data: bytes | None) -> str:
    return hashlib.sha256(data or b"").hexdigest()


def compare(files: list[SourceFile], previous: dict[str, dict[str, Any]] | None) -> Changes:
    """Which files are added, changed, removed or unchanged; files whose size or time moved
    are read and hashed here (their bytes kept for the parse, up to KEEP_BYTES in all)."""
    recorded = previous or {}
    out = Changes(files, {})
    kept = 0
    for f in files:
        old = recorded.get(f.source)
        meta = {"size": f.size, "mtime_ns": f.mtime_ns}
        if old is not None and old["size"] == f.size and old["mtime_ns"] == f.mtime_ns:
            out.state[f.source] = {**meta, "sha256": old["sha256"]}
            out.unchanged.append(f.source)
            continue
        if old is None:
            out.added.append(f.source)
            continue  # read when parsed
        data = read_bytes(f.path, f.source)
        sha = sha256_bytes(data)
        out.state[f.source] = {**meta, "sha256": sha}
        if sha == old["sha256"]:
            out.unchanged.append(f.source)
            continue
        out.changed.append(f.source)
        if data is not None and kept + len(data) <= KEEP_BYTES:
            out.data[f.source] = data
            kept += len(data)
    names = {f.source for f in files}
    out.removed = sorted(set(recorded) - names)
    return out


@dataclass
class ReadCorpus:
    """The corpus as a build needs it, in corpus order."""

    docs: list[Document]
    sigs: list[Signatures]
    lines: list[bytes]  # each document's documents.jsonl line
    reused: set[str]  # sources rebuilt from the previous build
    state: dict[str, dict[str, Any]]

    def add(self, doc: Document, sig: Signatures, line: bytes) -> None:
        self.docs.append(doc)
        self.sigs.append(sig)
        self.lines.append(line)


def read_corpus(changes: Changes, previous: Previous | None) -> ReadCorpus:
    """Documents of every readable file: unchanged ones from the previous build, the others
    read (once) and parsed, formats other than .txt converted in a guarded child process
    (``qa.ingest.formats.guard``); each skipped file warned about once, when it is first read."""
    unchanged = set(changes.unchanged) if previous is not None else set()
    out = ReadCorpus([], [], [], set(), dict(changes.state))
    with Guard() as guard:
        for f in changes.files:
            old = previous.files.get(f.source) if previous is not None else None
            if previous is not None and old is not None and f.source in unchanged:
                meta = dict(out.state[f.source])
                if "skipped" in old:  # unreadable last time and unchanged since: still skipped
                    out.state[f.source] = {**meta, "skipped": True}
                    continue
                if "document" in old:
                    out.add(*_stored(previous.documents.line(old["document"])))
                    out.reused.add(f.source)
                    continue
            data = changes.data.pop(f.source, None)
            if data is None:
                data = read_bytes(f.path, f.source)
            meta = {"size": f.size, "mtime_ns": f.mtime_ns, "sha256": sha256_bytes(data)}
            doc = document_of(f.source, data, guard.blocks) if data is not None else None
            if doc is None:
                out.state[f.source] = {**meta, "skipped": True}
                continue
            out.state[f.source] = meta
            sig = signatures(doc)
            out.add(doc, sig, record_line(doc, sig))
    return out


def _stored(line: bytes) -> tuple[Document, Signatures, bytes]:
    """An unchanged document from its documents.jsonl line (kept as it is)."""
    record = decode_record(line)
    doc = document_of_record(record)
    sig = signatures_of_record(record)
    if sig is None:  # stored by a Ray build: computed once now, then kept
        sig = signatures(doc)
        line = record_line(doc, sig)
    return doc, sig, line


def reused_passages(
    doc: Document, old: Sequence[Passage], lo: int, hi: int, first_id: int
) -> list[Passage]:
    """The previous build's passages (rows ``lo``–``hi``) of an unchanged document, renumbered
    from ``first_id``, their sentences carrying this build's near-duplicate copies (a sentence
    cut in pieces for length has none, as in a fresh chunking)."""
    by_span = {(s.start, s.end): s for s in doc.sentences}
    out: list[Passage] = []
    for row in range(lo, hi):
        p = old[row]
        sents = tuple(by_span.get((s.start, s.end), replace(s, also_in=())) for s in p.sentences)
        out.append(replace(p, id=first_id + len(out), sentences=sents, also_in=()))
    return out


def merge_vectors(
    previous: Previous,
    passages: Sequence[Passage],
    reuse: Sequence[int],
    p_new: np.ndarray,
    s_new: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Passage and sentence vectors in this build's order: row ``reuse[i]`` of the previous
    build for a reused passage, the next of the freshly embedded ones (in order) otherwise."""
    old_p, old_s, old_base = stored_vectors(previous.path)
    dim = old_p.shape[1] if old_p.size else p_new.shape[1]
    counts = np.array([len(p.sentences) for p in passages], dtype=np.int64)
    base = np.concatenate([[0], np.cumsum(counts)])
    p_vecs = np.zeros((len(passages), dim), dtype=np.float32)
    s_vecs = np.zeros((int(base[-1]), dim), dtype=np.float32)
    new_p = new_s = 0
    for i, row in enumerate(reuse):
        n = int(counts[i])
        if row < 0:
            p_vecs[i] = p_new[new_p]
            s_vecs[base[i] : base[i] + n] = s_new[new_s : new_s + n]
            new_p, new_s = new_p + 1, new_s + n
        else:
            p_vecs[i] = old_p[row]
            s_vecs[base[i] : base[i] + n] = old_s[old_base[row] : old_base[row] + n]
    return p_vecs, s_vecs
