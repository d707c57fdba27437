"""What changed since the last build, and the corpus read with as little work as that allows.

The rule (README, "Keeping the index current"): the manifest records every corpus file's size,
modification time and content hash (SHA-256). A refresh walks the folder once (``qa.corpus.walk``)
and, for each file:

  * same size and modification time as recorded: **unchanged**, not opened;
  * otherwise it is read once; the same hash: unchanged (only touched); another: **changed**;
  * not recorded: **added**; recorded but gone: **removed**.

Added and changed files are parsed from the bytes just read (one read per file per refresh).
Unchanged files are rebuilt from the previous build's stored document (``documents.jsonl``:
text, paragraphs, sentences, MinHash signatures), their passages and vectors reused by the
build when their near-duplicate links leave their passages as they were (``qa.indexing``).
A previous build made with other settings (model, chunking, format or package version) is not
reused: everything is read again.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.corpus import SourceFile, document_of, read_bytes
from qa.dedupe import Signatures, signatures
from qa.documents import (
    DocumentsFile,
    decode_record,
    document_of_record,
    record_line,
    signatures_of_record,
)
from qa.formats.guard import Guard
from qa.types import Document

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
    (``qa.formats.guard``); each skipped file warned about once, when it is first read."""
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
