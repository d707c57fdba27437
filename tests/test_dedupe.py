"""qa.ingest.dedupe: near-duplicate paragraphs across files (MinHash signatures, LSH banding, exact
verification)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from itertools import pairwise

import numpy as np
from datasketch import MinHash, MinHashLSH
from datasketch.hashfunc import sha1_hash64
from fakes import LONG_LINES, PROJECT, SEED_000, SEED_001, SEEDS

from qa.core.text import normalize
from qa.core.types import Span
from qa.ingest import dedupe
from qa.ingest.corpus import load_corpus, parse_document
from qa.ingest.dedupe import (
    BANDS,
    LEADERS,
    NUM_PERM,
    SEED,
    Signatures,
    copies_of,
    find_duplicates,
    near_duplicates,
    signatures,
)

# ---------------------------------------------------------------- near-duplicates


def test_seed_duplicates_map_001_onto_000() -> None:
    docs = load_corpus(SEEDS)
    expected = {(SEED_001, n): (SEED_000, n + 4) for n in range(2, 12)}
    assert find_duplicates(docs) == expected


def test_seed_duplicate_sentences_match_after_normalisation() -> None:
    docs = load_corpus(SEEDS)
    by_name = {d.source: d for d in docs}
    for (dup_src, dup_no), (can_src, can_no) in find_duplicates(docs).items():
        canonical = [s for s in by_name[can_src].sentences if s.paragraph == can_no]
        for s in canonical:
            spans = copies_of(s, docs, {(dup_src, dup_no)})
            assert len(spans) == 1
            span = spans[0]
            assert (span.source, span.paragraph) == (dup_src, dup_no)
            copy = by_name[dup_src].text[span.start : span.end]
            assert normalize(copy) == normalize(s.text), (s.text, copy)


PAIR_A = (
    "Tide tables for the estuary are published every spring by the harbour office.\n"
    "The bridge at Kell’s Ford was closed on 3 May after divers found cracks in two of its "
    "piers. Engineers said the repairs would take at least six weeks.\n"
    "Ferries will run every half hour while the bridge is closed.\n"
)
PAIR_B = (
    "Local traders say the closure has already cut their takings by a third.\n"
    "The bridge at Kell's Ford was closed on 3 May after divers found cracks in two of its\xa0"
    "piers.  Engineers said the repairs would take at least six weeks.\n"
    "The council has promised compensation for the worst-affected shops.\n"
)


def test_synthetic_duplicate_pair() -> None:
    docs = [parse_document("a.txt", PAIR_A), parse_document("b.txt", PAIR_B)]
    assert find_duplicates(docs) == {("b.txt", 2): ("a.txt", 2)}
    a, b = docs
    canonical = [s for s in a.sentences if s.paragraph == 2]
    assert len(canonical) == 2
    copies = []
    for s in canonical:
        (span,) = copies_of(s, docs, {("b.txt", 2)})
        assert isinstance(span, Span)
        assert (span.source, span.paragraph) == ("b.txt", 2)
        copy = b.text[span.start : span.end]
        assert normalize(copy) == normalize(s.text)
        copies.append(copy)
    # the first sentence differs verbatim (apostrophe, no-break space) but is the same text
    assert copies[0] != canonical[0].text
    assert copies == [
        "The bridge at Kell's Ford was closed on 3 May after divers found cracks in two of its"
        "\xa0piers.",
        "Engineers said the repairs would take at least six weeks.",
    ]


def test_copies_fall_back_to_the_whole_paragraph() -> None:
    docs = [parse_document("a.txt", PAIR_A), parse_document("b.txt", PAIR_B)]
    stray = next(s for s in docs[0].sentences if s.paragraph == 1)
    (span,) = copies_of(stray, docs, {("b.txt", 2)})
    p = docs[1].paragraphs[1]
    assert (span.start, span.end) == (p.start, p.end)


def test_unrelated_files_have_no_duplicates() -> None:
    docs = [parse_document("a.txt", PAIR_A), parse_document("c.txt", "\n".join(LONG_LINES))]
    assert find_duplicates(docs) == {}


def test_duplicates_within_one_file_are_not_folded() -> None:
    line = "The bridge at Kell's Ford was closed on 3 May after divers found cracks in its piers."
    doc = parse_document("a.txt", f"{line}\n{line}\n")
    assert find_duplicates([doc]) == {}


# ---------------------------------------------------------------- signatures


def test_signatures_cover_the_paragraphs_that_can_take_part() -> None:
    doc = parse_document("a.txt", PAIR_A)
    sig = signatures(doc)
    assert sig.keys == (("a.txt", 1), ("a.txt", 2), ("a.txt", 3))
    assert sig.sizes == tuple(len(dedupe._shingles(p.text)) for p in doc.paragraphs)
    assert sig.bands.shape == (3, BANDS) and sig.bands.dtype == np.uint64
    assert sig.minhashes.shape == (3, NUM_PERM) and sig.minhashes.dtype == np.uint32
    short = parse_document("s.txt", "Too short here.\n" + LONG_LINES[0] + "\n")
    assert signatures(short).keys == (("s.txt", 2),)  # 3 words: 1 shingle, cannot take part


def test_signatures_are_deterministic_across_processes() -> None:
    doc = load_corpus(SEEDS)[0]
    first, again = signatures(doc), signatures(doc)
    assert np.array_equal(first.bands, again.bands)
    assert np.array_equal(first.minhashes, again.minhashes)
    code = (
        "import json; from qa.ingest.corpus import load_corpus; "
        "from qa.ingest.dedupe import signatures; "
        "from fakes import SEEDS; s = signatures(load_corpus(SEEDS)[0]); "
        "print(json.dumps([s.bands.tolist(), s.minhashes.tolist()]))"
    )
    path = os.pathsep.join([str(PROJECT), str(PROJECT / "tests")])
    env = {**os.environ, "PYTHONPATH": path, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    bands, minhashes = json.loads(out.stdout)
    assert bands == first.bands.tolist()
    assert minhashes == first.minhashes.tolist()


def test_signatures_survive_pickling() -> None:  # as they travel from Ray workers
    sig = signatures(load_corpus(SEEDS)[1])
    back = pickle.loads(pickle.dumps(sig))
    assert back.keys == sig.keys and back.sizes == sig.sizes
    assert np.array_equal(back.bands, sig.bands)
    assert np.array_equal(back.minhashes, sig.minhashes)


def test_band_keys_are_those_minhashlsh_buckets_by() -> None:
    doc = parse_document("a.txt", PAIR_A)
    sig = signatures(doc)
    lsh = MinHashLSH(num_perm=NUM_PERM, params=(BANDS, NUM_PERM // BANDS), hashfunc=sha1_hash64)
    for key, values in zip(sig.keys, sig.minhashes, strict=True):
        m = MinHash(num_perm=NUM_PERM, seed=SEED, hashvalues=values, scheme="affine32")
        lsh.insert(key, m)
        assert lsh.keys.get(key) == sig.bands[sig.keys.index(key)].tolist()


# ---------------------------------------------------------------- near_duplicates


def _words(prefix: str, count: int) -> str:
    return " ".join(f"{prefix}{k}" for k in range(count))


def test_exact_verification_decides_at_the_threshold() -> None:
    base = _words("w", 73)  # 70 shingles
    at = parse_document("b.txt", f"{base} {_words('x', 30)}.\n")  # 70 / (70 + 30) = 0.7
    below = parse_document("c.txt", f"{base} {_words('y', 31)}.\n")  # 70 / 101 ≈ 0.693
    a = parse_document("a.txt", f"{base}.\n")
    assert find_duplicates([a, at]) == {("b.txt", 1): ("a.txt", 1)}
    assert find_duplicates([a, below]) == {}
    # the pair below the threshold was a candidate: the exact Jaccard turned it down
    sigs = [signatures(a), signatures(below)]
    bands = np.concatenate([s.bands for s in sigs])
    assert (bands[0] == bands[1]).any()


def test_a_boilerplate_paragraph_in_hundreds_of_files_maps_to_the_first() -> None:
    boiler = (
        "The archive of this regional paper is kept by the county library, which answers "
        "questions from readers about old editions."
    )
    docs = [
        parse_document(
            f"f{k:03d}.txt",
            f"Station {k} recorded {k * 7 + 1} millimetres of rain on day {k + 3} of the "
            f"month, its observers wrote.\n{boiler}\n",
        )
        for k in range(300)
    ]
    assert find_duplicates(docs) == {(f"f{k:03d}.txt", 2): ("f000.txt", 2) for k in range(1, 300)}
    whole = Signatures.concat(signatures(d) for d in docs)
    names: dict[str, int] = {}
    files = np.array([names.setdefault(s, len(names)) for s, _ in whole.keys])
    sizes = np.array(whole.sizes)
    pairs = dedupe._candidates(whole.bands, files, sizes, whole.minhashes)
    assert len(pairs) <= LEADERS * 300 < 300 * 299 // 2  # not every pair of the bucket


def _slice(sig: Signatures, lo: int, hi: int) -> Signatures:
    return Signatures(sig.keys[lo:hi], sig.sizes[lo:hi], sig.bands[lo:hi], sig.minhashes[lo:hi])


def test_partitioning_the_signatures_changes_nothing() -> None:
    docs = [
        *load_corpus(SEEDS),
        parse_document("x_a.txt", PAIR_A),
        parse_document("x_b.txt", PAIR_B),
    ]
    texts = {(p.source, p.number): p.text for d in docs for p in d.paragraphs}
    per_doc = [signatures(d) for d in docs]
    whole = Signatures.concat(per_doc)
    expected = near_duplicates(per_doc, texts.__getitem__)
    assert expected == find_duplicates(docs)
    assert {k: v for k, v in expected.items() if k[0] == "x_b.txt"} == {
        ("x_b.txt", 2): ("x_a.txt", 2)
    }
    assert near_duplicates([whole], texts.__getitem__) == expected
    n = len(whole.keys)
    cuts = [0, 1, 7, n // 3, n // 2 + 1, n]
    parts = [_slice(whole, lo, hi) for lo, hi in pairwise(cuts)]
    assert near_duplicates(parts, texts.__getitem__) == expected
    assert near_duplicates([], texts.__getitem__) == {}


def test_documents_without_paragraphs_that_can_take_part() -> None:
    doc = parse_document("a.txt", "Short one.\nAnother.\n")
    assert signatures(doc).keys == ()
    assert find_duplicates([doc, doc]) == {}
