"""What the commands of `qa.cli.commands` share: errors as one line on stderr, opening the engine,
the optional path options such as --corpus and --index."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from qa.core.errors import QAError

CORPUS_HELP = (
    "Folder of .txt, .md, .html, .pdf and .docx files, nested folders too (default: seeds/ of "
    "this project)."
)
INDEX_HELP = "Index folder (default: index/<corpus>-<hash>/ of this project)."

F = TypeVar("F", bound=Callable[..., Any])


class _OneLine(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"warning: {record.getMessage()}", err=True)


def _setup_logging() -> None:
    log = logging.getLogger("qa")
    if not any(isinstance(h, _OneLine) for h in log.handlers):
        log.addHandler(_OneLine())
    log.setLevel(logging.WARNING)
    log.propagate = False


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _open_engine(
    corpus: Path | None,
    index: Path | None,
    rebuild: bool = False,
    reader: Path | None = None,
    tuned: Path | None = None,
    refitting: bool = False,
) -> Any:
    """The engine, with the shipped reading model and qa/tuned.json unless ``reader`` (a model
    folder) or ``tuned`` (fitted settings) name others; a warning when the settings were fitted
    for another reading model (unless they are about to be refitted)."""
    from qa.answer.engine import DEFAULT_CORPUS, Engine
    from qa.answer.reader import Reader
    from qa.answer.settings import TUNED, ComposerSettings

    def note(message: str) -> None:
        click.echo(message + " …", err=True)

    engine = Engine.open(
        corpus or DEFAULT_CORPUS,
        index,
        rebuild=rebuild,
        on_build=note,
        reader=Reader(reader) if reader else None,
        composer_settings=ComposerSettings.tuned(tuned, fallback=False) if tuned else None,
    )
    mismatch = fitted_for_another_reader(
        tuned or TUNED, getattr(engine.reader, "fingerprint", None)
    )
    if mismatch and not refitting:
        logging.getLogger("qa").warning(mismatch)
    return engine


def fitted_for_another_reader(tuned: Path, fingerprint: str | None) -> str | None:
    """A warning when the settings file records (as `qa tune` does) a reading model other than
    the one with this sha256; None when they match or nothing is recorded."""
    try:
        fitted = json.loads(tuned.read_text()).get("fitted_on", {}).get("reader")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(fitted, str) or not fingerprint or fitted == fingerprint:
        return None
    return (
        f"{tuned} was fitted for another reading model (sha256 {fitted[:12]}…, this one is "
        f"{fingerprint[:12]}…): refit it with `qa tune`"
    )


def _run(func: Any, *args: Any) -> Any:
    """Turn library errors into one line on stderr and exit code 1."""
    _setup_logging()
    try:
        return func(*args)
    except QAError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        raise click.Abort() from None


def path_option(*decls: str, help: str) -> Callable[[F], F]:
    """An optional path option (None when not given)."""
    return click.option(*decls, type=click.Path(path_type=Path), default=None, help=help)


corpus_option = path_option("--corpus", help=CORPUS_HELP)
index_option = path_option("--index", "index", help=INDEX_HELP)
reader_option = click.option(
    "--reader",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A reading model folder instead of the shipped qa/models/reader (a candidate written "
    "by `qa train-reader --out DIR`).",
)
