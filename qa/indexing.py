"""Building an index: read, de-duplicate and chunk the corpus, embed it, write the build folder
and publish it; and why an existing index is stale."""

from __future__ import annotations

import json
import math
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa import __version__
from qa.chunking import ChunkSettings, chunk_document
from qa.corpus import load_corpus
from qa.dedupe import Key, copies_of, find_duplicates
from qa.embedding import Encoder
from qa.errors import IndexCorrupt, IndexMismatch
from qa.store import (
    FORMAT_VERSION,
    build_lock,
    corpus_hash,
    corpus_state,
    corpus_unchanged,
    current_build,
    index_version,
    new_build_dir,
    publish,
    read_manifest,
    write_offsets,
    write_passages,
)
from qa.text import terms
from qa.types import Document, Passage, Sentence, Span
from qa.vector_index import vector_index, vector_policy, write_vector_index


@dataclass(frozen=True)
class BuildReport:
    path: Path
    built: bool
    reason: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage of the build


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


def stale_reason(
    corpus: Path, index_dir: Path, encoder_meta: dict[str, Any], chunk: ChunkSettings
) -> str | None:
    """Why the index must be (re)built, or None when it matches the corpus and settings."""
    build = current_build(index_dir)
    if build is None:
        return "no index yet"
    try:
        manifest = read_manifest(build)
    except (IndexCorrupt, IndexMismatch) as exc:
        return str(exc)
    if manifest.get("model") != encoder_meta or manifest.get("chunking") != chunk.to_dict():
        return "model or chunking settings changed"
    if manifest.get("vector_policy") != vector_policy():
        return "vector index settings changed"
    if manifest.get("package_version") != __version__:
        return "package version changed"
    if not corpus_unchanged(corpus, manifest["corpus"]["files"]):
        return "corpus changed"
    return None


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
    cluster (``qa.ray_build.RayBuilder``). Whatever runs them, ``build_index`` writes and
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


def attach_copies(
    docs: list[Document], canonical: dict[Key, Key]
) -> tuple[list[Document], dict[str, set[int]], dict[Key, list[Key]]]:
    """Attach copies to canonical sentences, given each duplicate paragraph's canonical one.
    Returns the documents, the duplicate paragraphs to skip per file, and each canonical
    paragraph's copies."""
    skip: dict[str, set[int]] = {}
    copies: dict[Key, list[Key]] = {}
    for dup, canon in sorted(canonical.items()):
        skip.setdefault(dup[0], set()).add(dup[1])
        copies.setdefault(canon, []).append(dup)
    out = []
    for doc in docs:
        sents = []
        for s in doc.sentences:
            dups = copies.get((s.source, s.paragraph))
            if dups:
                s = replace(s, also_in=tuple(copies_of(s, docs, set(dups))))
            sents.append(s)
        out.append(replace(doc, sentences=tuple(sents)))
    return out, skip, copies


def _paragraph_copies(
    passage: Passage, docs: dict[str, Document], copies: dict[Key, list[Key]]
) -> Passage:
    spans = []
    for source, number in copies.get((passage.source, passage.paragraph), []):
        p = docs[source].paragraphs[number - 1]
        spans.append(Span(source, number, p.start, p.end))
    return replace(passage, also_in=tuple(spans))


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


def with_copies(
    passages: list[Passage], docs: list[Document], copies: dict[Key, list[Key]]
) -> list[Passage]:
    """The passages with the spans of their paragraph's near-duplicate copies."""
    by_name = {d.source: d for d in docs}
    return [_paragraph_copies(p, by_name, copies) for p in passages]


def build_index(
    corpus: Path,
    index_dir: Path,
    encoder: Encoder,
    chunk: ChunkSettings | None = None,
    builder: Builder | None = None,
) -> BuildReport:
    """Build the index of ``corpus`` and publish it in ``index_dir``; the heavy stages run where
    ``builder`` puts them (default: here). Nothing is published unless every stage completes."""
    import bm25s
    from bm25s.tokenization import Tokenized

    chunk = chunk or ChunkSettings()
    started = time.perf_counter()
    stages: dict[str, float] = {}

    def stage(name: str, since: float) -> float:
        now = time.perf_counter()
        stages[name] = round(now - since, 3)
        return now

    state = corpus_state(corpus)
    builder = builder or LocalBuilder()
    docs, passages, skip = builder.prepare(corpus, encoder, chunk)
    mark = stage("prepare", started)
    sentences = [s for p in passages for s in p.sentences]
    p_vecs, s_vecs = builder.embed(encoder, passages, sentences)
    mark = stage("embed", mark)

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
            "sentences": len(sentences),
            "chrome_paragraphs": sum(p.chrome for d in docs for p in d.paragraphs),
            "duplicate_paragraphs": sum(len(v) for v in skip.values()),
        }
        manifest = {
            **settings,
            "package_version": __version__,
            "index_version": version,
            "corpus": {"path": str(corpus.resolve()), "hash": corpus_hash(state), "files": state},
            "counts": counts,
            "vector_index": {"passages": dense_info, "sentences": sentence_info},
            "sources": sorted({p.source for p in passages}),
        }
        path = publish(index_dir, tmp, manifest)
        stage("publish", mark)
    return BuildReport(path, True, "built", counts, time.perf_counter() - started, stages)
