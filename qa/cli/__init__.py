"""The command line, thin on top of everything: `ask`, `qa index`, `qa bench` and the group
(`main`), `qa serve` (`serve`), `qa show` (`show`), `qa eval` and `qa tune` (`evaluate`),
`qa train-reader` (`train`) and what the commands share (`common`).

May import: every qa package. Nothing imports it."""

from qa.cli.main import ask_main, main

__all__ = ["ask_main", "main"]
