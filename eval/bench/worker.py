"""The entry point of the benchmark's measuring children: ``python -P <this file> --worker NAME
ARGS`` (code.py's ``_worker``), run with the checkout measured as working directory and
PYTHONPATH, so that ``import qa`` there is that checkout's. The checkout may be an older
revision with an ``eval/`` of its own (the single-file eval/bench.py), so this package cannot be
imported as ``eval.bench`` in the child: this file loads the folder it is in, this project's
eval/bench/, as a package named PRIVATE instead. Its modules import one another relatively and
nothing of ``qa`` or ``eval`` at module level, so nothing of the checkout is shadowed or mixed
in; the worker functions import the checkout's ``qa`` when they run."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PRIVATE = "_qa_bench"  # the package's name in a child; never a name on sys.path


def load() -> ModuleType:
    """This folder as the package PRIVATE (its __init__ run, as for any package)."""
    if PRIVATE in sys.modules:
        return sys.modules[PRIVATE]
    here = Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location(
        PRIVATE, here / "__init__.py", submodule_search_locations=[str(here)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[PRIVATE] = package
    try:
        spec.loader.exec_module(package)
    except BaseException:
        del sys.modules[PRIVATE]
        raise
    return package


if __name__ == "__main__":
    load()
    importlib.import_module(f"{PRIVATE}.cli").main()
