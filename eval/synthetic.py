"""Synthetic corpora built from real sentences, for the scale benchmark.

Text. The pool is every well-formed sentence of seeds/ and eval/corpora/licenses/ (a few hundred).
A synthetic sentence splices two or three pool sentences at a shared function word ("… the
regime's forces | in the coastal region …"), so it reads like the originals but is new text;
a paragraph holds one to three of them (about two sentences per passage, as in seeds/), and an
article twenty paragraphs. The files go through the real pipeline (`qa index`): parsing,
chrome and duplicate detection, chunking, BM25.

Vectors. Embedding millions of texts with the model would take hours on two cores, so the
synthetic corpus is embedded by `RecombiningEncoder`: each text's vector is the normalised
mix of the *real* model embeddings of the pool sentences it was spliced from (weighted by the
word 3-grams it shares with each), plus a small deterministic perturbation (about 0.9 cosine)
that makes every text's vector distinct. These vectors are NOT model outputs; they are
recombinations of real ones, which keeps the geometry the FAISS indexes see realistic. Questions
are always encoded by the real model. Every figure measured on such an index says so.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
POOL_CORPORA = (PROJECT / "seeds", PROJECT / "eval" / "corpora" / "licenses")
PIVOTS = frozenset(
    "the of in to and a on for with that by as from at was were is has have its their".split()
)
_WORD = re.compile(r"[A-Za-z0-9’'-]+")
_GOOD = re.compile(r"^[A-Z“\"‘(].*[.!?][”\"’)]?$")
PER_ARTICLE = 20
NOISE = 0.025  # per-dimension sd of the perturbation: cosine ≈ 1/sqrt(1 + 384·NOISE²) ≈ 0.9


def real_sentences(corpora: Sequence[Path] = POOL_CORPORA) -> list[str]:
    """Well-formed sentences of the real corpora (one line, 6+ words, sentence punctuation)."""
    from qa.ingest.corpus import load_corpus

    seen: set[str] = set()
    out = []
    for folder in corpora:
        for doc in load_corpus(folder):
            for s in doc.sentences:
                text = " ".join(s.text.split())
                if len(text.split()) >= 6 and _GOOD.match(text) and text not in seen:
                    seen.add(text)
                    out.append(text)
    return out


class Splicer:
    """New sentences from pool sentences joined at a shared function word."""

    def __init__(self, pool: Sequence[str], seed: int) -> None:
        self.pool = list(pool)
        self.rng = np.random.default_rng(seed)
        # every pivot occurrence with at least two words on either side
        self.cuts: list[list[tuple[str, int]]] = []
        self.by_word: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, text in enumerate(self.pool):
            matches = list(_WORD.finditer(text))
            cuts = [
                (m.group().lower(), m.start()) for m in matches[2:-2] if m.group().lower() in PIVOTS
            ]
            self.cuts.append(cuts)
            for word, at in cuts:
                self.by_word[word].append((i, at))
        self.starts = [i for i, c in enumerate(self.cuts) if c]

    def sentence(self, parts: int) -> str:
        for _ in range(20):
            a = self.starts[int(self.rng.integers(len(self.starts)))]
            text = self.pool[a]
            cuts = self.cuts[a]
            for _ in range(parts - 1):
                word, at = cuts[int(self.rng.integers(len(cuts)))]
                options = self.by_word[word]
                b, b_at = options[int(self.rng.integers(len(options)))]
                text = text[: len(text) - (len(self.pool[a]) - at)] + self.pool[b][b_at:]
                a = b
                cuts = [(w, x) for w, x in self.cuts[b] if x > b_at]
                if not cuts:
                    break
            if 30 <= len(text) <= 400:
                return text
        return self.pool[self.starts[0]]


def write_corpus(folder: Path, passages: int, seed: int = 0) -> dict[str, int]:
    """About ``passages`` paragraphs of spliced sentences in articles of PER_ARTICLE paragraphs."""
    folder.mkdir(parents=True, exist_ok=True)
    splicer = Splicer(real_sentences(), seed)
    rng = np.random.default_rng(seed + 1)
    files = sentences = 0
    for start in range(0, passages, PER_ARTICLE):
        paragraphs = []
        for _ in range(min(PER_ARTICLE, passages - start)):
            count = int(rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3]))
            paragraphs.append(
                " ".join(splicer.sentence(int(rng.integers(2, 4))) for _ in range(count))
            )
            sentences += count
        (folder / f"syn_{files:06d}.txt").write_text("\n\n".join(paragraphs) + "\n")
        files += 1
    return {"files": files, "paragraphs": passages, "sentences": sentences}


def _shingles(text: str) -> list[tuple[str, ...]]:
    w = [x.lower() for x in _WORD.findall(text)]
    return [tuple(w[i : i + 3]) for i in range(max(0, len(w) - 2))] or [tuple(w)]


class RecombiningEncoder:
    """Vectors for synthetic text from the real embeddings of the pool sentences it was spliced
    from (see the module docstring). Satisfies qa.index.embedding.Encoder; tokens are counted with
    the real model's tokenizer, so chunking is exactly what the real model would get."""

    def __init__(
        self, pool: Sequence[str], vectors: np.ndarray, model_folder: Path, noise: float = NOISE
    ) -> None:
        from tokenizers import Tokenizer

        meta = json.loads((model_folder / "meta.json").read_text())
        self.dim = int(vectors.shape[1])
        self.max_seq_length = int(meta["max_seq_length"])
        self.name = "synthetic/recombined-" + meta["name"].split("/")[-1]
        digest = hashlib.sha256(np.ascontiguousarray(vectors).tobytes())
        digest.update(f"{noise}".encode())
        self.fingerprint = digest.hexdigest()
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.noise = noise
        postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, text in enumerate(pool):
            for g in set(_shingles(text)):
                postings[g].append(i)
        self.postings = {g: ids for g, ids in postings.items() if len(ids) <= 20}
        self._tok = Tokenizer.from_file(str(model_folder / "tokenizer.json"))
        self._tok.no_padding()
        self._tok.no_truncation()

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._tok.encode_batch(list(texts))]

    def vector(self, text: str) -> np.ndarray:
        weights: Counter[int] = Counter()
        for g in _shingles(text):
            weights.update(self.postings.get(g, ()))
        seed = zlib.crc32(text.encode("utf-8"))
        rng = np.random.default_rng(seed)
        if weights:
            ids = np.fromiter(weights.keys(), dtype=np.int64)
            w = np.fromiter(weights.values(), dtype=np.float32)
            v = w @ self.vectors[ids]
        else:
            v = self.vectors[seed % len(self.vectors)].copy()
        v = v / max(float(np.linalg.norm(v)), 1e-12)
        v = v + rng.standard_normal(self.dim).astype(np.float32) * self.noise
        return (v / np.linalg.norm(v)).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self.vector(text)
        return out


def recombining_encoder(models_root: Path, cache: Path) -> RecombiningEncoder:
    """The pool's real embeddings (computed once with the ONNX model, cached) → the encoder."""
    from qa.index.embedding import OnnxEncoder, ensure_onnx

    folder = ensure_onnx(models_root)
    pool = real_sentences()
    key = hashlib.sha256(("\n".join(pool) + folder.name).encode()).hexdigest()[:12]
    path = cache / f"pool-{key}.npy"
    if path.is_file():
        vectors = np.load(path)
    else:
        cache.mkdir(parents=True, exist_ok=True)
        vectors = OnnxEncoder(folder).encode(pool)
        np.save(path, vectors)
    return RecombiningEncoder(pool, vectors, folder)
