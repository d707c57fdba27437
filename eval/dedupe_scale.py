"""Near-duplicate detection at scale, streaming: run once by hand, not in CI.

    PYTHONPATH=. nice -n 10 python eval/dedupe_scale.py [--passages 1000000] [--seed 0]

Writes (or reuses) the synthetic corpus of eval.bench's scale benchmark under
index/bench/synthetic-{passages}-s{seed}/corpus (eval/synthetic.py ``write_corpus``; the same
layout and corpus.json marker as ``eval.bench.synthetic_index``), then runs the product's
duplicate detection over it the way a streaming build would: each file is parsed
(``qa.ingest.corpus.decode`` and ``parse_document``), its ``signatures`` kept with the texts of the
paragraphs they cover, and the Document dropped; then ``near_duplicates`` over all of them.
Prints and writes dedupe.json beside the corpus: passages, paragraphs, seconds per phase,
duplicate pairs, memory after each phase and the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from eval.bench import synthetic_folder
from eval.synthetic import write_corpus
from qa.ingest import dedupe
from qa.ingest.corpus import decode, list_sources, parse_document
from qa.ingest.dedupe import Key, Signatures, near_duplicates, signatures


def _rss_mib() -> float:
    """The process's current resident set, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message} (rss {_rss_mib()} MiB)", flush=True)


def corpus_folder(passages: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The synthetic corpus, written once and then reused from index/bench/."""
    folder = synthetic_folder(passages, seed, None)
    corpus, marker = folder / "corpus", folder / "corpus.json"
    if not marker.is_file():
        _log(f"writing a synthetic corpus of {passages} passages to {corpus}")
        started = time.perf_counter()
        stats = write_corpus(corpus, passages, seed)
        stats["seconds"] = round(time.perf_counter() - started, 1)
        marker.write_text(json.dumps(stats))
    return corpus, json.loads(marker.read_text())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    corpus, written = corpus_folder(args.passages, args.seed)
    seconds: dict[str, float] = {}
    memory: dict[str, float] = {"start": _rss_mib()}
    sigs: list[Signatures] = []
    texts: dict[Key, str] = {}
    paragraphs = 0
    parse_s = sign_s = 0.0
    sources = list_sources(corpus)
    for count, path in enumerate(sources, start=1):
        mark = time.perf_counter()
        text = decode(path)
        if text is None:
            continue
        doc = parse_document(path.name, text)
        parsed = time.perf_counter()
        sig = signatures(doc)
        sign_s += time.perf_counter() - parsed
        parse_s += parsed - mark
        paragraphs += sum(not p.chrome for p in doc.paragraphs)
        for key in sig.keys:
            texts[key] = doc.paragraphs[key[1] - 1].text
        sigs.append(sig)
        del doc, text
        if count % 5000 == 0:
            _log(f"{count}/{len(sources)} files: parse {parse_s:.0f} s, signatures {sign_s:.0f} s")
    seconds["parse"] = round(parse_s, 1)
    seconds["signatures"] = round(sign_s, 1)
    memory["after_signatures"] = _rss_mib()
    rows = sum(len(s.keys) for s in sigs)
    sizes = {
        "bands": sum(s.bands.nbytes for s in sigs),
        "minhashes": sum(s.minhashes.nbytes for s in sigs),
        "texts": sum(sys.getsizeof(t) for t in texts.values()),
    }
    _log(f"{rows} paragraphs with signatures; finding near-duplicates")

    started = time.perf_counter()
    found = near_duplicates(sigs, texts.__getitem__)
    seconds["near_duplicates"] = round(time.perf_counter() - started, 1)
    memory["after_near_duplicates"] = _rss_mib()

    out: dict[str, Any] = {
        "corpus": str(corpus),
        "corpus_written": written,
        "passages": written["paragraphs"],
        "files": len(sources),
        "paragraphs": paragraphs,
        "paragraphs_with_signatures": rows,
        "duplicate_pairs": len(found),
        "seconds": seconds,
        "rss_mib": memory,
        "peak_rss_mib": _peak_mib(),
        "array_mib": {k: round(v / 2**20, 1) for k, v in sizes.items()},
        "settings": {
            "num_perm": dedupe.NUM_PERM,
            "bands": dedupe.BANDS,
            "rows": dedupe.ROWS,
            "leaders": dedupe.LEADERS,
            "estimate_min": dedupe.ESTIMATE_MIN,
        },
    }
    (corpus.parent / "dedupe.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
