"""Section refresh: a full build against the incremental refresh after adding one file."""

from __future__ import annotations

import shutil
from typing import Any

from .common import CACHE, _log
from .rows import _row
from .scale import synthetic_index
from .sections import SectionRun

REFRESH_TARGET = 0.05  # a refresh after adding one file, as a share of a full build's time


def refresh_figures(run: SectionRun) -> dict[str, Any]:
    """On a copy of the synthetic corpus of --refresh-passages passages (and its index): a full
    build, then one new article added and the index refreshed (qa.index.refresh), both timed in this
    process with the same recombining encoder (eval/synthetic.py; its vectors are cheap, so the
    embedding share of the full build is smaller than with the model, and the ratio is, if
    anything, pessimistic)."""
    from eval.synthetic import recombining_encoder, write_corpus
    from qa.answer.engine import INDEX_ROOT, ensure_index
    from qa.index.build import build_index

    passages, seed = run.args.refresh_passages, run.args.seed
    corpus, index, _ = synthetic_index(passages, seed, None)
    work, refreshed = run.tmp / "corpus", run.tmp / "index"
    shutil.copytree(corpus, work)
    shutil.copytree(index, refreshed, symlinks=True)
    encoder = recombining_encoder(INDEX_ROOT / "models", CACHE)
    assert ensure_index(work, refreshed, encoder) is None  # the copy is up to date
    _log(f"refresh: a full build of {passages} passages")
    full = build_index(work, run.tmp / "full", encoder)
    extra = run.tmp / "extra"
    write_corpus(extra, 20, seed + 1)  # one article of ~20 passages
    added = sorted(extra.glob("*.txt"))[0]
    shutil.copy(added, work / f"zz-added-{added.name}")
    _log("refresh: one file added")
    report = ensure_index(work, refreshed, encoder)
    assert report is not None and report.mode == "refresh"
    return {
        "passages": full.counts["passages"],
        "documents": full.counts["documents"],
        "full_s": round(full.seconds, 2),
        "full_stages_s": full.stages,
        "refresh_s": round(report.seconds, 2),
        "refresh_stages_s": report.stages,
        "changes": {k: report.counts[k] for k in ("added", "changed", "removed", "reused")},
        "share": round(report.seconds / full.seconds, 4),
        "vectors": "recombined real embeddings (eval/synthetic.py), not model outputs",
    }


def refresh_rows(rows: list[dict[str, Any]], out: dict[str, Any] | None) -> None:
    if not out:
        return
    _row(
        rows,
        f"refresh after adding one file to {out['passages']} passages: full build "
        f"{out['full_s']:.1f} s, refresh",
        f"≤ {REFRESH_TARGET:.0%} of a full build",
        None,
        out["refresh_s"],
        " s",
        met=lambda v: v <= REFRESH_TARGET * out["full_s"],
    )
