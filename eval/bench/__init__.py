"""The performance benchmark (`python -m eval.bench`, `qa bench`; its usage is cli.py's
docstring), by section:

    common.py      paths and settings, the gold questions, latency summaries, memory, the log
    code.py        the code measured (this checkout or a git worktree of an earlier revision),
                   its set-up, and the measuring child processes run in it (``_worker``)
    sections.py    what a section is and how its result is made
    cold.py, inproc.py, http.py, build.py, scale.py, scale_out.py, refresh.py: one per section
    rows.py, table.py   the table of the results
    cli.py         the sections in order, the run, the options, the printed header
    worker.py      the measuring children's entry point, run by path

The children run in the checkout measured, whose ``qa`` (and ``eval``: an older checkout has a
single-file eval/bench.py) must be the ones imported; worker.py therefore loads this folder
under a private package name, and every module here imports its siblings relatively and only the
standard library at module level (``qa``, numpy and eval/ modules inside functions).
"""

from .cli import main, parser, run
from .scale import synthetic_folder, synthetic_index

__all__ = ["main", "parser", "run", "synthetic_folder", "synthetic_index"]
