"""The command line: `ask "question"` and `qa index | ask | eval | serve`.

Thin by design: each command parses, calls the library, prints. Heavy modules are imported
inside the commands, so `--help` stays instant and never loads torch. Here: `ask`, `qa index`
and `qa bench`; beside it `qa serve` (`qa.cli.serve`), `qa show` (`qa.cli.show`), `qa eval` and
`qa tune` (`qa.cli.evaluate`), `qa train-reader` (`qa.cli.train`); what they share in
`qa.cli.common`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from qa.cli.common import (
    _dump,
    _open_engine,
    _run,
    corpus_option,
    index_option,
)
from qa.cli.evaluate import eval_command, tune_command
from qa.cli.serve import serve_command
from qa.cli.show import show_command
from qa.cli.train import train_reader_command
from qa.core.errors import QAError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _ask(question: str, json_: bool, corpus: Path | None, index: Path | None) -> None:
    from qa.answer.engine import check_question
    from qa.answer.render import render_answer

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
main.add_command(eval_command)
main.add_command(tune_command)
main.add_command(train_reader_command)


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

        from qa.answer.engine import DEFAULT_CORPUS, INDEX_ROOT, default_index_dir, ensure_index
        from qa.answer.render import render
        from qa.index.embedding import OnnxEncoder, ensure_onnx
        from qa.index.store import current_build, read_manifest

        if ray_workers is not None and ray_address is None:
            raise click.UsageError("--ray-workers needs --ray")
        src = corpus or DEFAULT_CORPUS
        folder = index or default_index_dir(src)
        encoder = OnnxEncoder(ensure_onnx(INDEX_ROOT / "models"))
        builder: Any = nullcontext()
        if ray_address is not None:
            from qa.index.ray_build import RayBuilder

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


class _UpToDate:
    built = False
    seconds = 0.0


def ask_main() -> None:
    """Entry point of the `ask` console script."""
    ask_command()


@main.command("bench", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench_command(args: tuple[str, ...]) -> None:
    """Run the performance benchmark (eval/bench/): the straightforward approach, the previous
    code (an earlier git revision) and the current code side by side; prints the table and
    saves eval/reports/bench.json.

    Arguments go to the benchmark: `qa bench --only cold,inproc`, `qa bench --smoke`,
    `qa bench -- --help` for all of them. See the README, "Performance".
    """
    import subprocess

    project = Path(__file__).resolve().parents[2]
    if not (project / "eval" / "bench" / "__main__.py").is_file():
        raise click.ClickException("eval/bench/ is not here — run from a source checkout")
    sys.exit(subprocess.call([sys.executable, "-m", "eval.bench", *args], cwd=project))
