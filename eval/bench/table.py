"""The table of a run's results: its rows (targets and "met" are for the current code), as
text and as Markdown."""

from __future__ import annotations

from typing import Any

from .refresh import refresh_rows
from .rows import COLUMNS, OPTIONAL, _row


def table(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the table. Targets (and "met") are for the current code."""
    rows: list[dict[str, Any]] = []
    cold = results.get("cold")
    if cold:
        b, p, c = cold.get("baseline", {}), cold.get("previous", {}), cold["current"]
        _row(
            rows,
            f"cold `ask` → printed answer, median of {cold['runs']}",
            "≤ 1.0 s",
            b.get("median_s"),
            c["median_s"],
            " s",
            met=lambda v: v <= 1.0,
            previous=p.get("median_s"),
        )
        _row(
            rows,
            "  (python -c 'import numpy', for scale)",
            "",
            None,
            cold["python_numpy_median_s"],
            " s",
        )
        _row(
            rows,
            "torch imported by `ask --help`",
            "never",
            None,
            c["torch_on_help"],
            met=lambda v: v is False,
            previous=p.get("torch_on_help"),
        )
        _row(
            rows,
            "torch imported by `ask QUESTION`",
            "never",
            b.get("torch_on_ask"),
            c["torch_on_ask"],
            met=lambda v: v is False,
            previous=p.get("torch_on_ask"),
        )
    inproc = results.get("inproc")
    if inproc:
        b, p, c = inproc.get("baseline", {}), inproc.get("previous", {}), inproc["current"]
        n = c["n"]
        _row(
            rows,
            f"in-process ask p50 (seeds, {n} questions)",
            "≤ 30 ms",
            b.get("p50_ms"),
            c["p50_ms"],
            " ms",
            met=lambda v: v <= 30,
            previous=p.get("p50_ms"),
        )
        _row(
            rows,
            "in-process ask p99",
            "≤ 80 ms",
            b.get("p99_ms"),
            c["p99_ms"],
            " ms",
            met=lambda v: v <= 80,
            previous=p.get("p99_ms"),
        )
        _row(
            rows,
            "  embed / retrieve / compose p50",
            "",
            _stages(b),
            _stages(c),
            previous=_stages(p),
        )
        spans = c.get("short_answers_p50_ms")
        if spans:
            _row(
                rows,
                "  p50 added by short answers (asked in turn with and without)",
                "≤ 2 ms",
                None,
                round(spans["with"] - spans["without"], 3),
                " ms",
                met=lambda v: v <= 2,
            )
        if "same_answers" in inproc:
            _row(rows, "  same answer text as baseline", "", None, inproc["same_answers"])
        if "same_as_previous" in inproc:
            _row(rows, "  same answer text as previous", "", None, inproc["same_as_previous"])
    http = results.get("http")
    if http:
        conc = http["concurrency"]
        for path in ("/ask", "/v1/chat/completions"):
            b = http.get("baseline", {}).get(path, {})
            p = http.get("previous", {}).get(path, {})
            c = http["current"][path]
            ask = path == "/ask"  # the targets are for /ask
            _row(
                rows,
                f"HTTP {path} @{conc}: requests/s ({c['requests']} req)",
                "≥ 40" if ask else "",
                b.get("requests_per_s"),
                c["requests_per_s"],
                "/s",
                better="higher",
                met=(lambda v: v >= 40) if ask else None,
                previous=p.get("requests_per_s"),
            )
            _row(
                rows,
                f"HTTP {path} @{conc}: p99",
                "≤ 500 ms" if ask else "",
                b.get("p99_ms"),
                c["p99_ms"],
                " ms",
                met=(lambda v: v <= 500) if ask else None,
                previous=p.get("p99_ms"),
            )
            _row(
                rows,
                f"HTTP {path} @{conc}: errors",
                "0",
                b.get("errors"),
                c["errors"],
                met=lambda v: v == 0,
                previous=p.get("errors"),
            )
    build = results.get("build")
    if build:
        b = build.get("baseline", {})
        c = build["current"]
        _row(
            rows,
            f"build: embedding throughput ({build['passages']} passages)",
            "≥ 85 /s",
            b.get("passages_per_s"),
            c["passages_per_s"],
            "/s",
            better="higher",
            met=lambda v: v >= 85,
        )
        s = c["seeds_build"]
        _row(
            rows,
            f"  seeds build: {s['passages']} passages + {s['sentences']} sentences",
            "",
            None,
            f"{s['seconds']} s, {s['passages_per_s']} passages/s",
        )
        _row(rows, "  progress shown", "yes", None, "tqdm bar on a terminal")
    scale_out_rows(rows, results.get("scale-out"))
    refresh_rows(rows, results.get("refresh"))
    for key, label in (("scale", None), ("scale_1m", "1M")):
        scale = results.get(key)
        if scale:
            _scale_rows(rows, scale, label)
    return rows


def scale_out_rows(rows: list[dict[str, Any]], out: dict[str, Any] | None) -> None:
    if not out:
        return
    one, two, here = out["ray_1"], out["ray_2"], out["single_process"]
    _row(
        rows,
        f"scale-out: embedding, {one['texts']} texts ({out['passages']} passages), "
        "one process on all cores",
        "",
        None,
        here["embed_texts_per_s"],
        "/s",
    )
    for n, side in ((1, one), (2, two)):
        _row(
            rows, f"  Ray, {n} single-threaded worker(s)", "", None, side["embed_texts_per_s"], "/s"
        )
    _row(
        rows,
        "  Ray: 2 workers vs 1",
        "≥ 1.6×",
        None,
        out["speedup_2_vs_1"],
        "×",
        met=lambda v: v >= 1.6,
    )
    peaks = ", ".join(str(w["peak_mb"]) for w in two.get("workers", []))
    _row(
        rows,
        "  peak memory: driver / each worker (2 workers)",
        "",
        None,
        f"{two['driver_peak_mb']} MB / {peaks} MB",
    )


def _stages(side: dict[str, Any]) -> str | None:
    stages = side.get("stage_p50_ms")
    if not stages:
        return None
    return " / ".join(f"{stages[k]:.2g}" for k in ("embed", "retrieve", "compose")) + " ms"


def _scale_rows(rows: list[dict[str, Any]], scale: dict[str, Any], label: str | None) -> None:
    n = scale["passages"]
    tag = label or (f"{n // 1000}k" if n >= 1000 else str(n))
    c, e = scale["current"], scale["exact"]
    vi = scale["vector_index"]
    kinds = " / ".join(_index_label(v) for v in (vi["passages"], vi["sentences"]))
    source = " (documented run, eval/bench-1m.json)" if label else ""
    _row(
        rows,
        f"scale {tag}{source}: {n} passages, {scale['sentences']} sentences",
        "",
        None,
        f"index: {kinds}",
    )
    for kind in ("passages", "sentences"):
        _row(
            rows,
            f"  {tag} recall@10 vs exact, {kind}",
            "≥ 0.95",
            "1 (exact)",
            scale["recall_at_10"][kind],
            met=lambda v: v >= 0.95,
        )
    for kind in ("passages", "sentences"):
        _row(
            rows,
            f"  {tag} FAISS query p50, {kind}",
            "≤ 20 ms" if label else "",
            e[f"faiss_{kind}"]["p50_ms"],
            c[f"faiss_{kind}"]["p50_ms"],
            " ms",
            met=(lambda v: v <= 20) if label else None,
        )
    if "retrieval" in c:
        _row(
            rows,
            f"  {tag} hybrid retrieval p50 (dense+sentences+BM25)",
            "≤ 20 ms" if label else "",
            e.get("retrieval", {}).get("p50_ms"),
            c["retrieval"]["p50_ms"],
            " ms",
            met=(lambda v: v <= 20) if label else None,
        )
        _row(
            rows,
            f"  {tag} ask p50 / p99 (real question encoding)",
            "",
            _pair(e.get("ask")),
            _pair(c["ask"]),
        )
    _row(rows, f"  {tag} open index", "", e["open_s"], c["open_s"], " s")
    _row(
        rows,
        f"  {tag} memory after queries: RSS",
        "",
        e["memory_end"].get("rss_mib"),
        c["memory_end"].get("rss_mib"),
        " MiB",
    )
    _row(
        rows,
        f"  {tag} … of which private (anon)",
        "",
        e["memory_end"].get("anon_mib"),
        c["memory_end"].get("anon_mib"),
        " MiB",
    )
    _row(rows, f"  {tag} index on disk", "", None, scale["disk_mib"], " MiB")


def _index_label(info: dict[str, Any]) -> str:
    if info["type"] == "ivf-flat":
        return f"IVF{info['lists']},Flat nprobe={info['nprobe']}"
    if info["type"] == "hnsw":
        return f"HNSW{info['M']} ef={info['ef_search']}"
    return "Flat (exact)"


def _pair(summary: dict[str, Any] | None) -> str | None:
    if not summary:
        return None
    return f"{summary['p50_ms']:.3g} / {summary['p99_ms']:.3g} ms"


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    """COLUMNS without a reference column (and its ratio) that no row fills (no baseline or no
    previous code in the run)."""
    empty = {"", "–"}
    hidden = {
        name
        for column, ratio in OPTIONAL.items()
        if all(r.get(column, "–") in empty for r in rows)
        for name in (column, ratio)
    }
    return [h for h in COLUMNS if h not in hidden]


def render(rows: list[dict[str, Any]]) -> str:
    heads = _columns(rows)
    widths = [max(len(h), *(len(str(r.get(h, ""))) for r in rows)) for h in heads]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        cells = (str(r.get(h, "")).ljust(w) for h, w in zip(heads, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def markdown(rows: list[dict[str, Any]]) -> str:
    heads = _columns(rows)
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for r in rows:
        lines.append("| " + " | ".join(str(r.get(h, "")).replace("|", "/") for h in heads) + " |")
    return "\n".join(lines)
