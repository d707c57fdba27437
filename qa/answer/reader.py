"""The reading model: does this sentence answer the question, and which words of it do?

A cross-encoder trained here (`qa train-reader`, see `qa/train/training.py`) from all-MiniLM-L6-v2
reads the question and one candidate sentence together. One forward pass gives two heads: a
logit that the sentence answers the question, and start/end logits over the sentence's tokens
for the short answer inside it (and at [CLS], the span head's "no answer in this sentence").
The shipped model (`qa/models/reader/`) is an ONNX graph run by onnxruntime, one batched call
per question (on all cores, or single-threaded when questions are read side by side: the same
scores); torch is never imported here. Its sha256 is checked against the model card when it is
loaded: a damaged or missing file is one clear error, never a wrong answer.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.core.errors import ModelError
from qa.index.embedding import Background, session_options
from qa.index.store import sha256_file

READER_DIR = Path(__file__).resolve().parent.parent / "models" / "reader"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CARD_FILE = "card.json"
MAX_TOKENS = 128  # question + sentence; the longer of the two is cut first (the card may say less)
MAX_SPAN_TOKENS = 24
RESTORE = "restore it with `git checkout -- qa/models/reader` or retrain with `qa train-reader`"


def tokenizer(folder: Path, max_tokens: int = MAX_TOKENS) -> Any:
    """The reader's tokenizer, set up exactly as in training: pairs cut to ``max_tokens``."""
    from tokenizers import Tokenizer

    return configure(Tokenizer.from_file(str(folder / TOKENIZER_FILE)), max_tokens)


def configure(tok: Any, max_tokens: int = MAX_TOKENS) -> Any:
    """No padding (``batch_arrays`` pads), pairs cut to ``max_tokens``, the longer side
    first."""
    tok.no_padding()
    tok.enable_truncation(max_tokens, strategy="longest_first")
    return tok


def card_max_tokens(card: dict[str, Any]) -> int:
    """The pair length the model was trained on, as its card says (cards written before the
    setting existed: MAX_TOKENS)."""
    value = card.get("max_tokens", MAX_TOKENS)
    if not isinstance(value, int) or isinstance(value, bool) or not 16 <= value <= MAX_TOKENS:
        raise ModelError(f"the reading model's card gives max_tokens {value!r} — {RESTORE}")
    return value


def batch_arrays(encodings: Sequence[Any]) -> dict[str, np.ndarray]:
    """Padded int64 input arrays for a batch of pair encodings."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for row, e in enumerate(encodings):
        n = len(e.ids)
        ids[row, :n] = e.ids
        mask[row, :n] = 1
        types[row, :n] = e.type_ids
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def sentence_tokens(encoding: Any) -> list[int]:
    """Positions of the sentence's own tokens in a (question, sentence) encoding."""
    return [
        t
        for t, (seq, (a, b)) in enumerate(zip(encoding.sequence_ids, encoding.offsets, strict=True))
        if seq == 1 and b > a
    ]


@dataclass(frozen=True, slots=True)
class Reading:
    """What the reader makes of one candidate sentence."""

    logit: float  # answers-the-question logit
    probability: float  # sigmoid(logit)
    span: tuple[int, int] | None  # the short answer's [start, end) in the sentence's text
    span_probability: float  # P(start) · P(end) of that span over the sentence's tokens
    # the best start plus the best end logit over the sentence's tokens minus the start plus
    # end logit at [CLS], the span head's "no answer here" (a model trained with --null-span)
    null_margin: float


def best_span(
    start: np.ndarray,
    end: np.ndarray,
    tokens: Sequence[int],
    offsets: Sequence[tuple[int, int]],
    word_ids: Sequence[int | None] | None = None,
) -> tuple[tuple[int, int] | None, float]:
    """The highest-scoring span over the sentence's tokens (start ≤ end, at most
    MAX_SPAN_TOKENS, and whole words when ``word_ids`` are given: it starts on a word's first
    token and ends on a word's last), as character offsets into the sentence, and its
    probability."""
    if not tokens:
        return None, 0.0
    idx = np.asarray(tokens)
    s = start[idx] - start[idx].max()
    e = end[idx] - end[idx].max()
    ps = np.exp(s) / np.exp(s).sum()
    pe = np.exp(e) / np.exp(e).sum()
    n = len(idx)
    allowed = np.triu(np.ones((n, n), dtype=bool)) & ~np.triu(
        np.ones((n, n), dtype=bool), k=MAX_SPAN_TOKENS
    )
    if word_ids is not None:
        words = [word_ids[t] for t in tokens]
        first = np.asarray([k == 0 or words[k] != words[k - 1] for k in range(n)])
        last = np.asarray([k == n - 1 or words[k] != words[k + 1] for k in range(n)])
        allowed &= np.outer(first, last)
    grid = np.where(allowed, np.add.outer(s, e), -np.inf)
    i, j = np.unravel_index(int(np.argmax(grid)), grid.shape)
    return (offsets[idx[i]][0], offsets[idx[j]][1]), float(ps[i] * pe[j])


def sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


def _session(model_path: Path, threads: int) -> Any:
    import onnxruntime as ort

    opts = session_options(ort, threads)
    return ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])


class Reader:
    """The shipped reading model on onnxruntime. The session loads in a background thread (the
    caller goes on loading the index); its checksum is verified there first.

    A question read alone uses all ``threads``; questions read at the same time (the server's
    micro-batches are composed on several threads) each get a single-threaded session instead,
    which for these small inputs uses the cores better than sharing one thread pool. Both give
    bit-identical scores (tests/test_reader.py), so which one read a question never shows."""

    def __init__(
        self, folder: Path = READER_DIR, threads: int | None = None, model: str | None = None
    ) -> None:
        card_path = folder / CARD_FILE
        model_path = folder / (model or MODEL_FILE)
        try:
            self.card: dict[str, Any] = json.loads(card_path.read_text())
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"the reading model's card {card_path} is unreadable — {RESTORE}"
            ) from exc
        if not model_path.is_file():
            raise ModelError(f"the reading model {model_path} is missing — {RESTORE}")
        if not (folder / TOKENIZER_FILE).is_file():
            raise ModelError(
                f"the reader's tokenizer {folder / TOKENIZER_FILE} is missing — {RESTORE}"
            )
        self.folder = folder
        self.name = str(self.card.get("name", "reader"))
        self.fingerprint: str = str(self.card["files"].get(model_path.name, ""))
        self.max_tokens = card_max_tokens(self.card)
        self._tok = tokenizer(folder, self.max_tokens)
        self._single: Any = None  # the single-threaded session, made at the first overlap
        self._lock = threading.Lock()
        self._single_lock = threading.Lock()
        self._reading = 0  # reads in progress
        self._model_path = model_path
        self._threads = threads or os.cpu_count() or 1
        self._loading = Background(self._load, name="qa-reader-session")

    def _load(self) -> Any:
        got = sha256_file(self._model_path)
        if got != self.fingerprint:
            raise ModelError(
                f"the reading model {self._model_path} is damaged (sha256 {got[:12]}…, the card "
                f"says {self.fingerprint[:12]}…) — {RESTORE}"
            )
        return _session(self._model_path, self._threads)

    def ready(self) -> Any:
        """Wait for the session and return it; raise ModelError when the model cannot be
        used."""
        try:
            return self._loading.get()
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(
                f"the reading model in {self.folder} cannot be loaded ({exc}) — {RESTORE}"
            ) from exc

    def _single_session(self, main: Any) -> Any:
        if self._threads == 1:
            return main
        with self._single_lock:
            if self._single is None:
                self._single = _session(self._model_path, 1)
            return self._single

    def read(self, question: str, sentences: Sequence[str]) -> list[Reading]:
        """One batched forward pass over (question, sentence) pairs."""
        if not sentences:
            return []
        main = self.ready()
        encodings = self._tok.encode_batch([(question, s) for s in sentences])
        with self._lock:
            overlapping = self._reading > 0
            self._reading += 1
        try:
            session = self._single_session(main) if overlapping else main
            logits, start, end = session.run(None, batch_arrays(encodings))
        finally:
            with self._lock:
                self._reading -= 1
        probs = sigmoid(logits.astype(np.float64))
        out = []
        for k, e in enumerate(encodings):
            toks = sentence_tokens(e)
            span, p = best_span(start[k], end[k], toks, e.offsets, e.word_ids)
            null = start[k][0] + end[k][0]
            margin = float(start[k][toks].max() + end[k][toks].max() - null) if toks else 0.0
            out.append(Reading(float(logits[k]), float(probs[k]), span, p, margin))
        return out
