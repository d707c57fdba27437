"""Test doubles and shared paths: a hashing encoder that satisfies qa.index.embedding.Encoder."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.core.errors import NotFound
from qa.core.text import terms, words
from qa.core.types import Answer, Citation, Paragraph, ShortAnswer, SourceView

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
MODELS = PROJECT / "index" / "models"
LICENSES = PROJECT / "eval" / "corpora" / "licenses"
# gold file → its corpus, and the fewest questions it must hold
GOLD_SETS = {
    "seeds.jsonl": (PROJECT / "seeds", 150),
    "licenses.jsonl": (PROJECT / "eval" / "corpora" / "licenses", 40),
    "squad-heldout.jsonl": (PROJECT / "eval" / "corpora" / "squad-heldout", 1500),
}

SEED_000 = "000_af464d22616ba6fd.txt"
SEED_001 = "001_5ea433483fe11491.txt"
SEED_002 = "002_fd892696122e5551.txt"
SEED_003 = "003_2b9715bf3b4d29fd.txt"
SEED_004 = "004_637ea51863777674.txt"


class HashingEncoder:
    """A deterministic bag-of-stems encoder: each stemmed term hashes to one of ``dim`` signed
    buckets; the sum is normalised to a unit vector. Texts sharing terms have similar vectors."""

    def __init__(self, dim: int = 64, max_seq_length: int = 256, salt: str = "") -> None:
        self.name = "tests/hashing-encoder"
        self.dim = dim
        self.max_seq_length = max_seq_length
        self.fingerprint = hashlib.sha256(f"hashing:{dim}:{salt}".encode()).hexdigest()
        self.encoded = 0  # number of texts encoded so far, to tell whether a build happened

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for term in terms(text) or words(text):
            h = zlib.crc32(term.encode("utf-8"))
            vec[h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self._vector(t) for t in texts]).astype(np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        # one token per word plus [CLS] and [SEP], like a word-level tokenizer
        return [len(t.split()) + 2 for t in texts]


def write_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Create ``folder`` with the given files (str is written as UTF-8, bytes as they are)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return folder


# A tiny corpus of invented articles for store, staleness and engine tests; paragraphs are
# separated by blank lines.
TINY_CORPUS: dict[str, str | bytes] = {
    "lighthouse.txt": (
        "Carrow Point lighthouse was built in 1868 by the engineer Thomas Hale.\n\n"
        "Its lamp was converted to electricity in 1931, and the last keepers left "
        "when it was automated in 1992.\n\n"
        "The tower is 34 metres tall and can be seen from the ferry to Inishcarrow.\n"
    ),
    "ferry.txt": (
        "The ferry to Inishcarrow leaves Rossmore harbour three times a day in summer.\n\n"
        "In winter the crossing is cancelled whenever the wind is stronger than force seven.\n\n"
        "The island's school has eleven pupils and one teacher, Orla Brennan.\n"
    ),
}


# ---------------------------------------------------------------- answers with a short answer

# An invented article: its answer names the director, whose name is also in the sentence before
# (the short answer is the second "Rami Abdulrahman"); the emoji before it counts one code point
# but two UTF-16 units, so offsets sliced the wrong way in the page would miss it.
OBSERVATORY = "observatory.txt"
OBSERVATORY_TEXT = (
    "Monitors · 12 March 2024\n"
    "The war monitor 🛰 said on Sunday that the “Syrian Observatory for Human Rights” — "
    "l’Observatoire syrien des droits de l’homme — was founded by Rami Abdulrahman. "
    "Its director is Rami Abdulrahman, a Coventry-based activist. "
    "He has run it from Coventry since 2006.\n"
)
DIRECTOR = "Rami Abdulrahman"
DIRECTOR_QUESTION = "Who is the director of SOHR?"


def _line_paragraphs(source: str, text: str) -> tuple[Paragraph, ...]:
    out, start = [], 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.rstrip("\n")
        out.append(Paragraph(source, number, start, start + len(body), body))
        start += len(line)
    return tuple(out)


def observatory_answer(short: bool = True) -> Answer:
    """The answer to DIRECTOR_QUESTION: two cited sentences of paragraph 2 and, with ``short``,
    the short answer "Rami Abdulrahman" inside the first."""
    text = OBSERVATORY_TEXT
    cites = []
    for quote in (
        "Its director is Rami Abdulrahman, a Coventry-based activist.",
        "He has run it from Coventry since 2006.",
    ):
        start = text.index(quote)
        cites.append(Citation(OBSERVATORY, 2, start, start + len(quote), quote))
    name = text.index(DIRECTOR, cites[0].start)
    return Answer(
        DIRECTOR_QUESTION,
        " ".join(c.quote for c in cites),
        False,
        0.87,
        tuple(cites),
        (),
        "scripted-v1",
        short_answer=ShortAnswer(DIRECTOR, OBSERVATORY, name, name + len(DIRECTOR))
        if short
        else None,
        timings_ms={"embed": 1.0, "retrieve": 2.0, "compose": 3.0},
    )


class ScriptedEngine:
    """A `qa.serve.service.AnswerEngine` that gives every question ``answer`` (assign a new one at
    any time) and serves the paragraphs it is given: for the server and the page without a model."""

    index_version = "scripted-v1"

    def __init__(
        self,
        answer: Answer | None = None,
        texts: dict[str, str] | None = None,
        paragraphs: Sequence[Paragraph] | None = None,
    ) -> None:
        self.answer = answer or observatory_answer()
        self.texts = texts or {OBSERVATORY: OBSERVATORY_TEXT}
        self.paragraphs = list(paragraphs or _line_paragraphs(OBSERVATORY, OBSERVATORY_TEXT))

    def ask_many(self, questions: Sequence[str]) -> list[Answer]:
        return [replace(self.answer, question=q) for q in questions]

    def ask(self, question: str) -> Answer:
        return self.ask_many([question])[0]

    def paragraph(self, source: str, number: int) -> Paragraph:
        for p in self.paragraphs:
            if (p.source, p.number) == (source, number):
                return p
        raise NotFound(f"no paragraph {number} in {source}")

    def source(self, source: str) -> SourceView:
        if source not in self.texts:
            raise NotFound(f"no source named {source!r} in this index")
        paragraphs = tuple(p for p in self.paragraphs if p.source == source)
        return SourceView(source, "txt", self.texts[source], paragraphs)


# three long lines of one paragraph (wrapped files, duplicates)
LONG_LINES = [
    "The harbour authority said on Tuesday that the northern breakwater, damaged in the January "
    "storms, would be closed to walkers until the end of the summer while engineers rebuilt it.",
    "Fishing boats will continue to use the inner basin, which was not affected, but the ferry to "
    "the island will sail from the commercial quay instead, adding about ten minutes to crossings.",
    "Repairs are expected to cost more than the authority's entire maintenance budget for the "
    "year, and its chairman has asked the regional government for an emergency grant to cover "
    "the gap.",
]
