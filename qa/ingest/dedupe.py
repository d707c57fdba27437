"""Near-duplicate paragraphs across files, in bounded memory: MinHash signatures per document,
LSH banding over all of them, and exact verification of every candidate pair.

The rule:
  * A paragraph's shingles are its word 4-grams (``qa.core.text.words``, so after normalisation); a
    paragraph of fewer than four words has one shingle, its words.
  * Over the non-chrome paragraphs in document order, a paragraph that is not itself a duplicate
    and has at least MIN_SHINGLES shingles is canonical for every later paragraph of a
    *different file*, not yet marked, whose shingle set has Jaccard similarity of at least
    DUPLICATE_JACCARD with its own. Put the other way round: a paragraph is a duplicate of the
    earliest paragraph before it, in another file, that is not a duplicate and is that similar.
  * A paragraph with fewer than MIN_SHINGLES (3) shingles takes no part: it cannot be canonical,
    and it cannot reach 0.7 with one of 3 or more (at most 2 shared of at least 3 = 0.67).

How:
  1. ``signatures(doc)``, per document and on any worker: a MinHash of each paragraph's shingles
     (datasketch, NUM_PERM = 128 permutations, scheme "affine32" over its SHA1-based 32-bit
     hash, fixed SEED: the same on every process and machine; no Python ``hash()``), kept whole
     (512 bytes) and cut into BANDS = 32 bands of ROWS = 4 values, each band reduced to one
     uint64 exactly as datasketch's ``MinHashLSH(params=(32, 4), hashfunc=sha1_hash64)`` keys its
     buckets. Two paragraphs at Jaccard 0.7 share at least one band with probability
     1 - (1 - 0.7⁴)³² ≈ 0.99985 (0.99999995 at 0.8); only pairs that share a band are compared.
  2. ``near_duplicates(sigs, text_of)``: the pairs that share a band are found per band by
     sorting that column with numpy (8 bytes a paragraph a band, plus the sort's index).
     datasketch's own ``MinHashLSH`` with its in-memory dict storage keeps, per paragraph, the
     key in 32 Python sets and the band keys in its key table: measured at about 6 KB a
     paragraph (20,000 synthetic paragraphs), 6 GB at a million before any other work; so the
     banding is done here with numpy, on the same band keys.
     A pair goes on to verification when its files differ, its shingle counts are within
     DUPLICATE_JACCARD of each other (the Jaccard is at most small/large) and the MinHash
     estimate (equal values of 128) is at least ESTIMATE_MIN = 56/128: a pair at Jaccard 0.7
     falls below that with probability 2·10⁻¹⁰, one at 0.3 passes with 7·10⁻⁴. Sharing a band
     is a weak test (a pair at 0.3 shares one with probability 0.23), and on corpora of
     recombined text most pairs that do are far below 0.7; the estimate keeps the exact step
     for the pairs that can pass.
     Verification is exact: the Jaccard similarity of the two paragraphs' real shingle sets
     (from ``text_of``; the last SHINGLE_CACHE sets are kept), so no estimate marks a pair.
  3. The greedy rule runs over the verified candidates in order of the later paragraph, trying
     its candidates earliest first and stopping at the first canonical one that passes.

Large buckets. A band value shared by m paragraphs (boilerplate repeated in thousands of files)
would give m²/2 pairs. Instead each paragraph of a bucket is paired only with the bucket's first
LEADERS = 32 paragraphs (in document order): at most 32·m pairs a bucket and band. For copies of
one text this loses nothing (the first copy is canonical and leads every bucket it is in). A
pair is missed only when, in every band it shares, 32 or more earlier paragraphs hold the bucket
before the canonical one: many different texts with 4 equal MinHash values each. The copy is
then left unmarked (indexed twice) and may be canonical for later copies; every pair that is
marked has passed the exact test. On the synthetic corpus of
100,000 passages, 32 leaders find exactly what unbounded buckets find (5,742 pairs); 8 leaders
missed 6 of them.

Then ``attach_copies`` records on each canonical sentence where its copies are (so a citation
can name them) and ``with_copies`` does the same for the passages of canonical paragraphs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from qa.core.text import normalize, words
from qa.core.types import Document, Passage, Sentence, Span

Key = tuple[str, int]  # (source, paragraph number)

SHINGLE = 4
DUPLICATE_JACCARD = 0.7
MIN_SHINGLES = 3  # fewer cannot reach DUPLICATE_JACCARD with a paragraph that may be canonical
NUM_PERM = 128
BANDS = 32
ROWS = 4  # BANDS * ROWS == NUM_PERM; P(candidate | J = 0.7) = 1 - (1 - 0.7**4)**32 ≈ 0.99985
SEED = 1
LEADERS = 32  # paragraphs of a bucket that later ones in it are compared with
ESTIMATE_MIN = 56 / 128  # MinHash estimate below which a pair is not verified (see docstring)
ESTIMATE_CHUNK = 1 << 16  # pairs whose MinHash values are compared at once
PAIR_CHUNK = 1 << 20  # candidate pairs turned into Python ints at once
SHINGLE_CACHE = 4096  # shingle sets kept for verification


def _shingles(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    if len(w) < SHINGLE:
        return {tuple(w)} if w else set()
    return {tuple(w[i : i + SHINGLE]) for i in range(len(w) - SHINGLE + 1)}


# ---------------------------------------------------------------- signatures


@dataclass(frozen=True, eq=False)  # eq=False: arrays do not compare as one bool
class Signatures:
    """LSH band keys of some paragraphs: those of one document that are not chrome and have at
    least MIN_SHINGLES shingles (the only ones that can be duplicates or canonical), in order.
    Any run of documents' Signatures may be split or joined (``concat``) without changing what
    ``near_duplicates`` finds, as long as the overall order is document order."""

    keys: tuple[Key, ...]
    sizes: tuple[int, ...]  # shingle counts
    bands: np.ndarray  # (len(keys), BANDS) uint64: one hash per LSH band
    minhashes: np.ndarray  # (len(keys), NUM_PERM) uint32: the MinHash values themselves

    @classmethod
    def concat(cls, parts: Iterable[Signatures]) -> Signatures:
        parts = list(parts)
        return cls(
            keys=tuple(k for s in parts for k in s.keys),
            sizes=tuple(n for s in parts for n in s.sizes),
            bands=np.concatenate([_empty()[0], *(s.bands for s in parts)]),
            minhashes=np.concatenate([_empty()[1], *(s.minhashes for s in parts)]),
        )


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((0, BANDS), dtype=np.uint64), np.zeros((0, NUM_PERM), dtype=np.uint32)


def _band_keys(hashvalues: np.ndarray) -> list[int]:
    """One uint64 per band, computed as MinHashLSH(hashfunc=sha1_hash64) keys its buckets."""
    from datasketch.hashfunc import sha1_hash64

    data = hashvalues.byteswap().tobytes()
    step = len(data) // BANDS
    return [sha1_hash64(data[at : at + step]) for at in range(0, len(data), step)]


def signatures(doc: Document) -> Signatures:
    """The band keys of a document's paragraphs that can take part (see ``Signatures``)."""
    keys: list[Key] = []
    sizes: list[int] = []
    grams: list[list[bytes]] = []
    for p in doc.paragraphs:
        if p.chrome:
            continue
        sh = _shingles(p.text)
        if len(sh) < MIN_SHINGLES:
            continue
        keys.append((p.source, p.number))
        sizes.append(len(sh))
        grams.append([" ".join(g).encode() for g in sh])
    if not keys:
        return Signatures((), (), *_empty())
    # datasketch (and the scipy it imports, ~0.3 s) only when a build computes signatures: the
    # question path imports this module but never calls it
    from datasketch import MinHash

    hashes = MinHash.bulk(grams, num_perm=NUM_PERM, seed=SEED, scheme="affine32")
    bands = np.array([_band_keys(m.hashvalues) for m in hashes], dtype=np.uint64)
    minhashes = np.array([m.hashvalues for m in hashes], dtype=np.uint32)
    return Signatures(tuple(keys), tuple(sizes), bands, minhashes)


# ---------------------------------------------------------------- candidates and verification


def _bucket_pairs(column: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Rows i < j with the same value in one band, i among the first LEADERS rows of that
    bucket (in row order): for each leader place, the (i, j) arrays of the pairs it leads."""
    order = np.argsort(column, kind="stable")  # a bucket's rows stay in row order
    col = column[order]
    starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
    lengths = np.diff(np.r_[starts, len(col)])
    bucket = np.repeat(np.arange(len(starts)), lengths)  # of each sorted position
    at = np.flatnonzero(lengths[bucket] > 1)  # sorted positions in shared buckets
    first = starts[bucket[at]]
    for lead in range(LEADERS):
        behind = at - first > lead
        at, first = at[behind], first[behind]
        if not len(at):
            return
        yield order[first + lead], order[at]


def _plausible(
    i: np.ndarray, j: np.ndarray, files: np.ndarray, sizes: np.ndarray, minhashes: np.ndarray
) -> np.ndarray:
    """Which pairs may be duplicates: different files, sizes within DUPLICATE_JACCARD of each
    other (the Jaccard is at most small / large) and a MinHash estimate of at least
    ESTIMATE_MIN."""
    ok: np.ndarray = (files[i] != files[j]) & (
        np.minimum(sizes[i], sizes[j]) >= DUPLICATE_JACCARD * np.maximum(sizes[i], sizes[j])
    )
    for lo in range(0, len(i), ESTIMATE_CHUNK):
        part = slice(lo, lo + ESTIMATE_CHUNK)
        a, b = i[part][ok[part]], j[part][ok[part]]
        agree = (minhashes[a] == minhashes[b]).sum(axis=1)
        ok[part][ok[part]] = agree >= ESTIMATE_MIN * NUM_PERM
    return ok


def _candidates(
    bands: np.ndarray, files: np.ndarray, sizes: np.ndarray, minhashes: np.ndarray
) -> np.ndarray:
    """The plausible pairs i < j that share a band, as sorted int64 codes j·n + i (so grouped by
    the later paragraph, earliest first)."""
    n = len(bands)
    found = [np.zeros(0, dtype=np.int64)]
    for b in range(bands.shape[1]):
        for i, j in _bucket_pairs(bands[:, b]):
            keep = _plausible(i, j, files, sizes, minhashes)
            found.append(j[keep].astype(np.int64) * n + i[keep])
        found = [np.unique(np.concatenate(found))]
    return found[0]


def near_duplicates(sigs: Sequence[Signatures], text_of: Callable[[Key], str]) -> dict[Key, Key]:
    """Map each near-duplicate paragraph to its canonical copy (see the module docstring), over
    the paragraphs of ``sigs`` in order; ``text_of`` gives a paragraph's text to verify a pair."""
    keys = [k for s in sigs for k in s.keys]
    if not keys:
        return {}
    whole = Signatures.concat(sigs)
    names: dict[str, int] = {}
    files = np.array([names.setdefault(source, len(names)) for source, _ in keys])
    sizes = np.array(whole.sizes, dtype=np.int64)
    codes = _candidates(whole.bands, files, sizes, whole.minhashes)
    del whole

    @lru_cache(maxsize=SHINGLE_CACHE)
    def shingles(row: int) -> frozenset[tuple[str, ...]]:
        return frozenset(_shingles(text_of(keys[row])))

    def similar(i: int, j: int) -> bool:
        a, b = shingles(i), shingles(j)
        inter = len(a & b)
        return inter / (len(a) + len(b) - inter) >= DUPLICATE_JACCARD

    duplicate = np.zeros(len(keys), dtype=bool)
    canonical: dict[Key, Key] = {}
    for lo in range(0, len(codes), PAIR_CHUNK):  # as Python ints a chunk at a time
        later, earlier = np.divmod(codes[lo : lo + PAIR_CHUNK], len(keys))
        for j, i in zip(later.tolist(), earlier.tolist(), strict=True):
            # i < j, so whether i is a duplicate was settled by pairs of an earlier j
            if duplicate[j] or duplicate[i] or not similar(i, j):
                continue
            duplicate[j] = True
            canonical[keys[j]] = keys[i]
    return canonical


def find_duplicates(
    docs: Sequence[Document], sigs: Sequence[Signatures] | None = None
) -> dict[Key, Key]:
    """Map each near-duplicate paragraph (source, number) to its canonical copy.

    Paragraphs in different files whose word 4-gram sets have Jaccard similarity of at least
    DUPLICATE_JACCARD are one text; the copy in the earliest file (by name) is canonical.
    ``sigs``: the documents' signatures when they were computed elsewhere (a Ray build's workers).
    """
    if sigs is None:
        sigs = [signatures(doc) for doc in docs]
    by_name = {doc.source: doc for doc in docs}
    # paragraphs are numbered 1, 2, 3 … in order
    return near_duplicates(sigs, lambda key: by_name[key[0]].paragraphs[key[1] - 1].text)


def copies_of(
    sentence: Sentence,
    others: Iterable[Document],
    paragraph_ids: set[tuple[str, int]],
) -> list[Span]:
    """Where a sentence of a canonical paragraph stands in its duplicate paragraphs: the same
    sentence when it is there (after normalisation), else the whole duplicate paragraph."""
    key = normalize(sentence.text)
    wanted = sorted(paragraph_ids)
    sources = {source for source, _ in wanted}
    by_name = {doc.source: doc for doc in others if doc.source in sources}
    spans = []
    for source, number in wanted:
        doc = by_name.get(source)
        if doc is None or not 1 <= number <= len(doc.paragraphs):
            continue
        p = doc.paragraphs[number - 1]  # paragraphs are numbered 1, 2, 3 … in order
        match = next(
            (s for s in doc.sentences if s.paragraph == number and normalize(s.text) == key),
            None,
        )
        if match is not None:
            spans.append(Span(p.source, p.number, match.start, match.end))
        else:
            spans.append(Span(p.source, p.number, p.start, p.end))
    return spans


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


def with_copies(
    passages: list[Passage], docs: list[Document], copies: dict[Key, list[Key]]
) -> list[Passage]:
    """The passages with the spans of their paragraph's near-duplicate copies."""
    by_name = {d.source: d for d in docs}
    return [_paragraph_copies(p, by_name, copies) for p in passages]
