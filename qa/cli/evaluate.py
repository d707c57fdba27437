"""`qa eval` (the gold questions' report) and `qa tune` (fitting the composer on the dev
splits)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from qa.cli.common import (
    _dump,
    _open_engine,
    _run,
    corpus_option,
    index_option,
    path_option,
    reader_option,
)


@click.command("eval")
@path_option("--gold", help="Gold JSONL file (default: eval/gold/seeds.jsonl).")
@corpus_option
@index_option
@click.option(
    "--split", type=click.Choice(["dev", "test", "all"]), default="test", show_default=True
)
@click.option("json_", "--json", is_flag=True, help="Print the JSON report instead of a table.")
@click.option(
    "--update-baseline",
    is_flag=True,
    help="Write this report to eval/baseline.json (the regression floor).",
)
@reader_option
@click.option(
    "--tuned",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Composer settings written by `qa tune --tuned FILE` (default: qa/tuned.json).",
)
def eval_command(
    gold: Path | None,
    corpus: Path | None,
    index: Path | None,
    split: str,
    json_: bool,
    update_baseline: bool,
    reader: Path | None,
    tuned: Path | None,
) -> None:
    """Score the answers against a gold set: grounding, retrieval, answers, abstention."""

    def evaluate() -> None:
        from tqdm import tqdm

        from qa.answer.engine import PROJECT
        from qa.answer.render import render
        from qa.evaluate.report import plot, read_baseline, regressions, report, write_baseline

        gold_path = gold or PROJECT / "eval" / "gold" / "seeds.jsonl"
        engine = _open_engine(corpus, index, reader=reader, tuned=tuned)
        total = (
            sum(1 for line in gold_path.open(encoding="utf-8") if line.strip())
            if gold_path.is_file()
            else 0
        )
        with tqdm(
            total=total,
            desc="questions",
            disable=not sys.stderr.isatty(),
            file=sys.stderr,
            leave=False,
        ) as bar:
            rep, _ = report(engine, gold_path, split, bar.update)
        out_dir = PROJECT / "eval" / "reports"
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{gold_path.stem}-{split}"
        base = None if update_baseline else read_baseline(rep)
        rep["regressions"] = None if base is None else regressions(rep, base)
        rep["json_path"] = str(out_dir / f"{stem}.json")
        rep["plot_path"] = str(out_dir / f"{stem}.png")
        plot(rep["sweep"], rep["threshold"], Path(rep["plot_path"]))
        Path(rep["json_path"]).write_text(json.dumps(rep, indent=1, ensure_ascii=False))
        if update_baseline:
            write_baseline(rep)
        click.echo(_dump(rep) if json_ else render("eval.txt.j2", report=rep))
        if not rep["invariants_ok"] or not rep["deterministic"] or rep["regressions"]:
            sys.exit(1)

    _run(evaluate)


@click.command("tune")
@click.option(
    "--gold",
    "golds",
    type=(click.Path(path_type=Path), click.Path(path_type=Path)),
    multiple=True,
    metavar="GOLD CORPUS",
    help="A gold file and its corpus; repeatable. "
    "Default: the three committed gold sets (seeds, licences, squad-heldout).",
)
@click.option(
    "--cv",
    is_flag=True,
    help="Only measure the fitting procedure by 5-fold cross-validation (×3) on the dev "
    "splits: held-out top-1, confidence AUC and accuracy. Writes nothing.",
)
@click.option(
    "--without",
    multiple=True,
    metavar="FEATURE",
    help="With --cv: leave this feature out of every model (an ablation); repeatable.",
)
@reader_option
@click.option(
    "--tuned",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where the fit is written (default: qa/tuned.json, which the service reads; with "
    "--reader a file must be named, so the shipped fit is never replaced by another model's).",
)
def tune_command(
    golds: tuple[tuple[Path, Path], ...],
    cv: bool,
    without: tuple[str, ...],
    reader: Path | None,
    out: Path | None,
) -> None:
    """Fit the answer composer's weights and thresholds on the dev splits."""
    if reader and not cv and out is None:
        raise click.UsageError("with --reader, name the file the fit goes to: --tuned FILE")

    def fit() -> None:
        from qa.answer.settings import CONFIDENCE_FEATURES, FEATURES, FINAL_FEATURES, TUNED
        from qa.evaluate.fitting import cross_validate, tune
        from qa.evaluate.gold import COMMITTED, gold_digest, load_gold, select

        pairs = golds or COMMITTED
        known = {*FEATURES, *FINAL_FEATURES, *CONFIDENCE_FEATURES}
        unknown = sorted(set(without) - known)
        if unknown:
            raise click.UsageError(
                f"unknown feature {unknown[0]!r}; choose from {', '.join(sorted(known))}"
            )
        sets = [
            (
                _open_engine(corpus, None, reader=reader, refitting=True),
                select(load_gold(gold), "dev"),
            )
            for gold, corpus in pairs
        ]
        if cv:
            m = cross_validate(sets, without=frozenset(without))
            click.echo(
                f"5-fold × 3 cross-validation on {m['questions']:.0f} dev questions: "
                + ", ".join(
                    f"{k} {v:.3f}" if v is not None else f"{k} –"
                    for k, v in m.items()
                    if k != "questions"
                )
            )
            return
        settings, info = tune(sets)
        info["gold"] = {gold.name: gold_digest(gold) for gold, _ in pairs}
        info["split"] = "dev"
        info["reader"] = getattr(sets[0][0].reader, "fingerprint", None)
        target = out or TUNED
        settings.save(target, info)
        click.echo(
            f"wrote {target}: threshold {settings.threshold}, dev score "
            f"{info['dev_score']} on {info['questions']} questions"
        )

    _run(fit)
