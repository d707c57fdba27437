"""`qa show SOURCE`: the text a source's citations point into, from the current index."""

from __future__ import annotations

from pathlib import Path

import click

from qa.cli.common import _dump, _run, corpus_option, index_option


@click.command("show")
@click.argument("source")
@corpus_option
@index_option
@click.option("json_", "--json", is_flag=True, help="Print the text with its paragraphs as JSON.")
def show_command(source: str, corpus: Path | None, index: Path | None, json_: bool) -> None:
    """Print the text SOURCE's citations point into: the file itself for .txt, the text
    extracted from it for .md, .html, .pdf and .docx (as the index stored it). SOURCE is the
    name citations give, relative to the corpus folder."""

    def show() -> None:
        from qa.answer.engine import DEFAULT_CORPUS, open_texts, source_view

        view = source_view(open_texts(corpus or DEFAULT_CORPUS, index), source)
        if json_:
            click.echo(_dump(view.to_dict()))
        else:
            click.echo(view.text, nl=not view.text.endswith("\n"))

    _run(show)
