"""The pipeline end to end: build or refresh an index, then answer questions from it."""

from __future__ import annotations

import hashlib
import logging
import os
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.answer.composer import Composer, ReaderModel
from qa.answer.reader import Reader
from qa.answer.retrieval import Hit, HybridRetriever
from qa.answer.settings import ComposerSettings
from qa.core.errors import IndexCorrupt, IndexMismatch, NotFound, QuestionRejected
from qa.core.types import Answer, Paragraph, Passage, SourceView
from qa.index.build import (
    Builder,
    BuildReport,
    LocalBuilder,
    build_index,
    encoder_meta,
)
from qa.index.chunking import ChunkSettings
from qa.index.embedding import Encoder, OnnxEncoder, ensure_onnx
from qa.index.refresh import compare, previous_build
from qa.index.store import StoredIndex, current_build, load, read_manifest
from qa.ingest.corpus import walk
from qa.ingest.documents import DocumentsFile, SourceTexts
from qa.ingest.formats import format_of

log = logging.getLogger("qa")
CorpusTexts = SourceTexts  # the name it had when only .txt files were read

PROJECT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = PROJECT / "seeds"
INDEX_ROOT = PROJECT / "index"
MAX_QUESTION_CHARS = 1000


def default_index_dir(corpus: Path) -> Path:
    resolved = corpus.resolve()
    tag = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    return INDEX_ROOT / f"{resolved.name or 'corpus'}-{tag}"


def check_question(question: str) -> str:
    """The question with its white space tidied, or QuestionRejected saying why."""
    if not isinstance(question, str):
        raise QuestionRejected("the question must be a string")
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in question):
        raise QuestionRejected("the question contains control characters")
    if any(unicodedata.category(c) == "Cs" for c in question):  # undecodable bytes, escaped
        raise QuestionRejected("the question is not valid UTF-8 text")
    cleaned = " ".join(question.split())
    if not cleaned:
        raise QuestionRejected('the question is empty — ask something, e.g. ask "who …?"')
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise QuestionRejected(f"the question is longer than {MAX_QUESTION_CHARS} characters")
    return cleaned


# ---------------------------------------------------------------- answering


class Engine:
    """A loaded index with everything needed to answer: open once, ask many times."""

    def __init__(
        self,
        corpus: Path,
        store: StoredIndex,
        encoder: Encoder,
        reader: ReaderModel,
        composer_settings: ComposerSettings | None = None,
    ) -> None:
        self.corpus = corpus
        self.store = store
        self.encoder = encoder
        self.index_version: str = store.manifest["index_version"]
        self.texts = SourceTexts(
            corpus,
            store.sources,
            DocumentsFile(store.path / "documents.jsonl"),
            store.manifest["corpus"]["files"],
        )
        self.retriever = HybridRetriever(store)
        self.reader = reader
        self.composer = Composer(
            store,
            self.texts,
            reader,
            composer_settings or ComposerSettings.tuned(),
            locate=self.texts.locate,
        )
        # threads that compose a batch's answers side by side (started at the first batch): the
        # reading model, most of the work, runs outside the GIL, and its scores do not depend
        # on the thread that reads
        self._composers = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="qa-compose")

    @classmethod
    def open(
        cls,
        corpus: Path = DEFAULT_CORPUS,
        index_dir: Path | None = None,
        models_dir: Path | None = None,
        rebuild: bool = False,
        on_build: Callable[[str], None] | None = None,
        composer_settings: ComposerSettings | None = None,
        encoder: Encoder | None = None,
        reader: ReaderModel | None = None,
    ) -> Engine:
        """Load the index for ``corpus``, building or refreshing it first when needed. The
        reading model loads in the background meanwhile; a damaged one is a ModelError."""
        reader = reader or Reader()
        index_dir = index_dir or default_index_dir(corpus)
        encoder = encoder or OnnxEncoder(ensure_onnx(models_dir or INDEX_ROOT / "models"))
        ensure_index(corpus, index_dir, encoder, rebuild=rebuild, on_build=on_build)
        build = current_build(index_dir)
        assert build is not None
        try:
            store = load(build)
        except IndexCorrupt as exc:
            if on_build:
                on_build(f"{exc}; rebuilding")
            build_index(corpus, index_dir, encoder)
            store = load(current_build(index_dir) or build)
        if isinstance(reader, Reader):
            reader.ready()
        return cls(corpus, store, encoder, reader, composer_settings)

    def ask(self, question: str) -> Answer:
        return self.ask_many([question])[0]

    def ask_many(self, questions: Sequence[str]) -> list[Answer]:
        """Answer several questions at once: one encoder batch and batched FAISS searches."""
        cleaned = [check_question(q) for q in questions]
        t0 = time.perf_counter()
        vectors = self.encoder.encode(cleaned)
        t1 = time.perf_counter()
        hits = self.retriever.search_many(cleaned, vectors, k=self.composer.settings.passages)
        t2 = time.perf_counter()

        def compose(job: tuple[str, np.ndarray, list[Hit]]) -> Answer:
            r1 = time.perf_counter()
            answer = self.composer.compose(*job, self.index_version)
            timings = {
                "embed": (t1 - t0) * 1000 / len(cleaned),
                "retrieve": (t2 - t1) * 1000 / len(cleaned),
                "compose": (time.perf_counter() - r1) * 1000,
            }
            return replace(answer, timings_ms={k: round(v, 3) for k, v in timings.items()})

        jobs = list(zip(cleaned, vectors, hits, strict=True))
        if len(jobs) == 1:
            return [compose(jobs[0])]
        return list(self._composers.map(compose, jobs))

    def search(self, question: str, k: int = 10) -> list[Passage]:
        """The ranked passages retrieval returns for a question (for evaluation and debugging)."""
        q = check_question(question)
        vector = self.encoder.encode([q])[0]
        return [self.store.passages[h.passage] for h in self.retriever.search(q, vector, k)]

    def paragraph(self, source: str, number: int) -> Paragraph:
        """A paragraph of a corpus file, for citation links. Only files of the index."""
        paras = self.texts.paragraphs(source)
        if not 1 <= number <= len(paras):
            raise NotFound(f"{source} has no paragraph {number}")
        return paras[number - 1]

    def source(self, source: str) -> SourceView:
        """The text a source's citations point into (the file itself for .txt, the extracted
        text otherwise) with its paragraphs, for `qa show` and the citation panel."""
        return source_view(self.texts, source)


def open_texts(corpus: Path, index_dir: Path | None = None) -> SourceTexts:
    """The texts of the current build of ``corpus``'s index, without loading anything else."""
    folder = index_dir or default_index_dir(corpus)
    build = current_build(folder)
    if build is None:
        raise IndexMismatch(f"no index in {folder} yet — build it with `qa index --corpus DIR`")
    manifest = read_manifest(build)
    return SourceTexts(
        corpus,
        manifest.get("sources", ()),
        DocumentsFile(build / "documents.jsonl"),
        manifest["corpus"]["files"],
    )


def source_view(texts: SourceTexts, source: str) -> SourceView:
    text = texts.get(source)
    if text is None:
        raise NotFound(f"no source named {source!r} in this index — see `qa index`")
    return SourceView(source, format_of(source) or "txt", text, texts.paragraphs(source))


def paragraph_of(texts: Mapping[str, str], source: str, number: int) -> Paragraph:
    """Paragraph ``number`` of ``source`` among ``texts`` (.txt rules), or NotFound."""
    text = texts.get(source)
    if text is None:
        raise NotFound(f"no source named {source!r} in this corpus")
    from qa.ingest.corpus import split_paragraphs

    paras = split_paragraphs(source, text)
    if not 1 <= number <= len(paras):
        raise NotFound(f"{source} has no paragraph {number}")
    return paras[number - 1]


def ensure_index(
    corpus: Path,
    index_dir: Path,
    encoder: Encoder,
    rebuild: bool = False,
    on_build: Callable[[str], None] | None = None,
    builder: Builder | None = None,
) -> BuildReport | None:
    """Build the index when it is missing or stale, or refresh it when only the corpus changed
    (``qa.index.refresh``: only added and changed files are read and embedded). ``builder``: where
    the heavy stages run, e.g. ``qa.index.ray_build.RayBuilder`` (always a full build); default:
    this process. None when it is up to date. The folder is walked once, each file read at most
    once."""
    files, left_out = walk(corpus)  # a missing or empty corpus fails before anything is announced
    chunk = ChunkSettings()
    previous, reason = previous_build(index_dir, encoder_meta(encoder), chunk)
    if rebuild:
        previous, reason = None, "rebuild requested"
    changes = compare(files, previous.files if previous is not None else None)
    if reason is None:
        if not changes.any:
            return None
        reason = "corpus changed"
    if builder is not None and previous is not None and not isinstance(builder, LocalBuilder):
        reason += "; a Ray build reads and embeds every file"
    if on_build:
        on_build(f"building the index for {corpus} ({reason})")
    for name, why in left_out:
        log.warning("skipping %s: %s", name, why)
    report = build_index(corpus, index_dir, encoder, chunk, builder, changes, previous)
    return replace(report, reason=reason)
