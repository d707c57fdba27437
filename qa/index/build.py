"""Building an index: read, de-duplicate and chunk the corpus, embed it, write the build folder
and publish it; refreshing one (only added and changed files parsed and embedded, see
``qa.index.refresh``); and why an existing index is stale."""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa import __version__
from qa.core.errors import CorpusError
from qa.core.text import terms
from qa.core.types import Document, Passage, Sentence
from qa.index.chunking import ChunkSettings, chunk_document
from qa.index.embedding import Encoder
from qa.index.refresh import (
    Changes,
    Previous,
    compare,
    merge_vectors,
    read_corpus,
    reused_passages,
    sha256_bytes,
)
from qa.index.store import (
    FORMAT_VERSION,
    PassageList,
    build_lock,
    corpus_hash,
    index_version,
    new_build_dir,
    publish,
    sha256_file,
    write_offsets,
    write_passages,
)
from qa.index.vector_index import vector_index, vector_policy, write_vector_index
from qa.ingest.corpus import SUPPORTED, load_corpus, walk
from qa.ingest.dedupe import attach_copies, find_duplicates, with_copies
from qa.ingest.documents import record_line, write_documents

log = logging.getLogger("qa")


@dataclass(frozen=True)
class BuildReport:
    path: Path
    built: bool
    reason: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage of the build
    # "refresh": only added and changed files read and embedded; "full": every file (no usable
    # previous build, --rebuild, or a Ray build, which always reads and embeds every file)
    mode: str = "full"


def _settings(encoder: Encoder, chunk: ChunkSettings) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "model": {
            "name": encoder.name,
            "weights_sha256": encoder.fingerprint,
            "dim": encoder.dim,
            "max_seq_length": encoder.max_seq_length,
        },
        "chunking": chunk.to_dict(),
        "vector_policy": vector_policy(),
    }


def _progress(total: int, desc: str, unit: str = "text") -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        disable=not sys.stderr.isatty(),
        file=sys.stderr,
        leave=False,
        mininterval=0.5,
    )


def encode_plan(texts: Sequence[str], chunk: int = 512) -> list[list[int]]:
    """The groups in which texts go to the encoder: by order of character length, ``chunk`` at
    a time, so each of its batches holds texts of similar length (little padding). Every builder
    uses this plan: a text's vector depends on the batch it is encoded in (in the last bits), so
    the same groups give bit-identical vectors wherever they are encoded."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[lo : lo + chunk] for lo in range(0, len(order), chunk)]


def _encode(encoder: Encoder, texts: Sequence[str], desc: str) -> np.ndarray:
    """Embed ``texts`` (group by group, see ``encode_plan``) with a progress bar."""
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    with _progress(len(texts), desc) as bar:
        for idx in encode_plan(texts):
            out[idx] = encoder.encode([texts[i] for i in idx])
            bar.update(len(idx))
    return out


class Builder(Protocol):
    """Where the heavy stages of a build run: in this process (``LocalBuilder``) or on a Ray
    cluster (``qa.index.ray_build.RayBuilder``). Whatever runs them, ``build_index`` writes and
    publishes the result, so both give the same index."""

    def prepare(
        self, corpus: Path, encoder: Encoder, chunk: ChunkSettings
    ) -> tuple[list[Document], list[Passage], dict[str, set[int]]]: ...

    def embed(
        self, encoder: Encoder, passages: Sequence[Passage], sentences: Sequence[Sentence]
    ) -> tuple[np.ndarray, np.ndarray]: ...


class LocalBuilder:
    def prepare(
        self, corpus: Path, encoder: Encoder, chunk: ChunkSettings
    ) -> tuple[list[Document], list[Passage], dict[str, set[int]]]:
        return prepare_passages(corpus, encoder, chunk)

    def embed(
        self, encoder: Encoder, passages: Sequence[Passage], sentences: Sequence[Sentence]
    ) -> tuple[np.ndarray, np.ndarray]:
        p_vecs = _encode(encoder, [p.text for p in passages], "embedding passages")
        s_vecs = _encode(encoder, [s.text for s in sentences], "embedding sentences")
        return p_vecs, s_vecs


def prepare_passages(
    corpus: Path, encoder: Encoder, chunk: ChunkSettings
) -> tuple[list[Document], list[Passage], dict[str, set[int]]]:
    """Read, clean, de-duplicate and chunk the corpus: its documents, passages and the
    paragraphs left out as duplicates (per file)."""
    loaded = load_corpus(corpus)
    docs, skip, copies = attach_copies(loaded, find_duplicates(loaded))
    passages: list[Passage] = []
    with _progress(len(docs), "chunking", unit="file") as bar:
        for doc in docs:
            passages += chunk_document(
                doc,
                chunk,
                encoder.max_seq_length,
                encoder.count_tokens,
                skip.get(doc.source, set()),
                len(passages),
            )
            bar.update(1)
    return docs, with_copies(passages, docs, copies), skip


def encoder_meta(encoder: Encoder) -> dict[str, Any]:
    return {
        "name": encoder.name,
        "weights_sha256": encoder.fingerprint,
        "dim": encoder.dim,
        "max_seq_length": encoder.max_seq_length,
    }


def build_index(
    corpus: Path,
    index_dir: Path,
    encoder: Encoder,
    chunk: ChunkSettings | None = None,
    builder: Builder | None = None,
    changes: Changes | None = None,
    previous: Previous | None = None,
) -> BuildReport:
    """Build the index of ``corpus`` and publish it in ``index_dir``; the heavy stages run where
    ``builder`` puts them (default: here). With ``previous`` (a build with the same settings)
    and the ``changes`` since it, only added and changed files are parsed and embedded
    (``qa.index.refresh``); a Ray builder always builds in full. Nothing is published unless every
    stage completes."""
    chunk = chunk or ChunkSettings()
    started = time.perf_counter()
    stages: dict[str, float] = {}

    def stage(name: str, since: float) -> float:
        now = time.perf_counter()
        stages[name] = round(now - since, 3)
        return now

    if changes is None:
        files, left_out = walk(corpus)
        for name, why in left_out:
            log.warning("skipping %s: %s", name, why)
        changes = compare(files, previous.files if previous else None)
    local = builder is None or isinstance(builder, LocalBuilder)
    if local:
        built = _prepare_local(corpus, encoder, chunk, changes, previous)
    else:
        assert builder is not None
        built = _prepare_elsewhere(corpus, encoder, chunk, changes, builder)
        previous = None
    mark = stage("prepare", started)
    p_vecs, s_vecs = _vectors(encoder, built, previous, builder or LocalBuilder())
    mark = stage("embed", mark)
    path, counts = _write(corpus, index_dir, encoder, chunk, built, p_vecs, s_vecs, mark, stage)
    counts.update(changes.counts() if previous is not None else _full_counts(changes))
    mode = "refresh" if previous is not None else "full"
    seconds = time.perf_counter() - started
    return BuildReport(path, True, "built", counts, seconds, stages, mode)


def _full_counts(changes: Changes) -> dict[str, int]:
    """A full build: every file counts as read anew (the removed ones are still reported)."""
    return {
        "added": len(changes.files),
        "changed": 0,
        "removed": len(changes.removed),
        "reused": 0,
    }


@dataclass
class _Built:
    docs: list[Document]
    passages: list[Passage]
    skip: dict[str, set[int]]
    lines: list[bytes]  # documents.jsonl
    state: dict[str, dict[str, Any]]
    reuse: list[int] = field(default_factory=list)  # previous build's row of each passage, or -1


def _prepare_local(
    corpus: Path,
    encoder: Encoder,
    chunk: ChunkSettings,
    changes: Changes,
    previous: Previous | None,
) -> _Built:
    read = read_corpus(changes, previous)
    if not read.docs:
        raise CorpusError(f"no readable {SUPPORTED} files in {corpus} — pass --corpus DIR")
    docs, skip, copies = attach_copies(read.docs, find_duplicates(read.docs, read.sigs))
    old = PassageList.of(previous.path) if previous is not None else None
    passages: list[Passage] = []
    reuse: list[int] = []
    with _progress(len(docs), "chunking", unit="file") as bar:
        for doc in docs:
            entry = previous.files.get(doc.source, {}) if previous is not None else {}
            own_skip = skip.get(doc.source, set())
            span = entry.get("passages")
            if (
                old is not None
                and doc.source in read.reused
                and span is not None
                and (entry.get("skip", []) == sorted(own_skip))
            ):
                kept = reused_passages(doc, old, span[0], span[1], len(passages))
                reuse += range(span[0], span[1])
            else:
                kept = chunk_document(
                    doc,
                    chunk,
                    encoder.max_seq_length,
                    encoder.count_tokens,
                    own_skip,
                    len(passages),
                )
                reuse += [-1] * len(kept)
            passages += kept
            bar.update(1)
    return _Built(docs, with_copies(passages, docs, copies), skip, read.lines, read.state, reuse)


def _prepare_elsewhere(
    corpus: Path, encoder: Encoder, chunk: ChunkSettings, changes: Changes, builder: Builder
) -> _Built:
    """A full build by another builder (Ray): it reads the files itself; here each file is
    hashed for the manifest and its document stored, with the signatures the builder computed
    (when it keeps them as ``signatures``; else the next refresh computes them)."""
    docs, passages, skip = builder.prepare(corpus, encoder, chunk)
    state: dict[str, dict[str, Any]] = {}
    readable = {d.source for d in docs}
    for f in changes.files:
        meta: dict[str, Any] = {"size": f.size, "mtime_ns": f.mtime_ns}
        meta["sha256"] = sha256_file(f.path) if f.path.is_file() else sha256_bytes(None)
        if f.source not in readable:
            meta["skipped"] = True
        state[f.source] = meta
    computed = getattr(builder, "signatures", {})
    lines = [record_line(d, computed.get(d.source)) for d in docs]
    return _Built(docs, passages, skip, lines, state, [-1] * len(passages))


def _vectors(
    encoder: Encoder, built: _Built, previous: Previous | None, builder: Builder
) -> tuple[np.ndarray, np.ndarray]:
    """Every passage's and sentence's vector: the previous build's for reused passages, the
    builder's for the others."""
    passages = built.passages
    fresh = [i for i, r in enumerate(built.reuse) if r < 0]
    if previous is None or len(fresh) == len(passages):
        return builder.embed(encoder, passages, [s for p in passages for s in p.sentences])
    new_p = [passages[i] for i in fresh]
    p_new, s_new = builder.embed(encoder, new_p, [s for p in new_p for s in p.sentences])
    return merge_vectors(previous, passages, built.reuse, p_new, s_new)


def _write(
    corpus: Path,
    index_dir: Path,
    encoder: Encoder,
    chunk: ChunkSettings,
    built: _Built,
    p_vecs: np.ndarray,
    s_vecs: np.ndarray,
    mark: float,
    stage: Any,
) -> tuple[Path, dict[str, int]]:
    import bm25s
    from bm25s.tokenization import Tokenized

    docs, passages, skip = built.docs, built.passages, built.skip
    state = built.state
    settings = _settings(encoder, chunk)
    version = index_version({**settings, "corpus": corpus_hash(state), "package": __version__})
    with build_lock(index_dir):
        tmp = new_build_dir(index_dir)
        dense, dense_info = vector_index(p_vecs)
        write_vector_index(dense, tmp / "index.faiss")
        del dense, p_vecs  # at a million passages every copy counts
        sentence_dense, sentence_info = vector_index(s_vecs)
        write_vector_index(sentence_dense, tmp / "sentences.faiss")
        del sentence_dense
        np.save(tmp / "sentences.npy", s_vecs)
        mark = stage("vector_index", mark)
        line_offsets = write_passages(tmp / "passages.jsonl", passages)
        write_offsets(tmp / "offsets.npy", line_offsets, passages)
        spans = write_documents(tmp / "documents.jsonl", built.lines)
        files = {name: dict(meta) for name, meta in state.items()}
        ranges: dict[str, list[int]] = {}
        for i, p in enumerate(passages):
            ranges.setdefault(p.source, [i, i])[1] = i + 1
        for doc, span in zip(docs, spans, strict=True):
            entry = files[doc.source]
            entry["document"] = list(span)
            entry["passages"] = ranges.get(doc.source, [0, 0])
            entry["skip"] = sorted(skip.get(doc.source, set()))
        tokenised = [terms(p.text) for p in passages]
        df = Counter(t for toks in tokenised for t in set(toks))
        n = max(1, len(passages))
        idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in sorted(df.items())}
        (tmp / "idf.json").write_text(json.dumps(idf, sort_keys=True))
        bm25 = bm25s.BM25()
        # terms numbered in sorted order: bm25s numbers them in set order, which changes with
        # each process's hash seed, and two builds of one corpus must give the same files
        vocab = {t: i for i, t in enumerate(sorted(df))}
        ids = [[vocab[t] for t in toks] for toks in tokenised]
        bm25.index(Tokenized(ids=ids, vocab=vocab) if df else [[""]], show_progress=False)
        bm25.save(str(tmp / "bm25"), show_progress=False)
        mark = stage("lexical_index", mark)
        counts = {
            "documents": len(docs),
            "passages": len(passages),
            "sentences": len(s_vecs),
            "chrome_paragraphs": sum(p.chrome for d in docs for p in d.paragraphs),
            "duplicate_paragraphs": sum(len(v) for v in skip.values()),
        }
        manifest = {
            **settings,
            "package_version": __version__,
            "index_version": version,
            "corpus": {
                "path": str(corpus.resolve()),
                "hash": corpus_hash(state),
                "files": files,
            },
            "counts": counts,
            "vector_index": {"passages": dense_info, "sentences": sentence_info},
            "sources": sorted({p.source for p in passages}),
        }
        path = publish(index_dir, tmp, manifest)
        stage("publish", mark)
    return path, dict(counts)
