"""What the commands of `qa.cli` share: errors as one line on stderr, opening the engine, the
optional path options such as --corpus and --index."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from qa.errors import QAError

CORPUS_HELP = "Folder of UTF-8 .txt files (default: seeds/ of this project)."
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


def _open_engine(corpus: Path | None, index: Path | None, rebuild: bool = False) -> Any:
    from qa.engine import DEFAULT_CORPUS, Engine

    def note(message: str) -> None:
        click.echo(message + " …", err=True)

    return Engine.open(corpus or DEFAULT_CORPUS, index, rebuild=rebuild, on_build=note)


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
