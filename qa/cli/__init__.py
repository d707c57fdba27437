"""The command line, thin on top of everything: `ask`, `qa index`, `qa bench` and the group
(`commands`), `qa serve` (`serve`), `qa show` (`show`), `qa eval` and `qa tune` (`evaluate`),
`qa train-reader` (`train`) and what the commands share (`common`).

May import: every qa package. Nothing imports it."""

from qa.cli.commands import ask_main, main

__all__ = ["ask_main", "main"]
