"""The code measured: this checkout (the current code) or a temporary git worktree of an
earlier revision (the previous code), set up before anything is timed, and the measuring child
processes run in it (``_worker``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import ASK_ENTRY, PACKAGE, PROJECT, QA_ENTRY, _log

WORKER_FILE = PACKAGE / "worker.py"  # the children's entry point, run by path


@dataclass(frozen=True)
class Code:
    """A checkout whose ``qa`` package is measured: this one (the current code) or a temporary
    git worktree of an earlier revision (the previous code). Every child process measuring it
    runs with the checkout as working directory and PYTHONPATH, so ``import qa`` is its own."""

    root: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.root)}

    def run(self, cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        kw.setdefault("capture_output", True)
        kw.setdefault("check", False)
        return subprocess.run(cmd, cwd=self.root, env=self.env(), text=True, **kw)

    def ask(self, *args: str) -> list[str]:
        """The `ask` console script's entry point."""
        return [sys.executable, "-c", ASK_ENTRY, *args]

    def qa(self, *args: str) -> list[str]:
        """The `qa` console script's entry point."""
        return [sys.executable, "-c", QA_ENTRY, *args]


CURRENT = Code(PROJECT)


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=PROJECT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def describe(rev: str | None) -> dict[str, Any]:
    """The commit ``rev`` names (None: the working tree, with or without uncommitted changes)."""
    if rev is None:
        dirty = bool(_git("status", "--porcelain", "--", "qa"))
        return {"rev": "working tree", "commit": _git("rev-parse", "HEAD"), "dirty": dirty}
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except RuntimeError:
        raise SystemExit(f"eval.bench: --previous {rev} is not a commit of {PROJECT}") from None
    return {"rev": rev, "commit": commit, "subject": _git("log", "-1", "--format=%s", commit)}


@contextmanager
def checkout(commit: str) -> Iterator[Code]:
    """``git worktree add --detach`` of ``commit`` into a temporary folder, removed on exit
    (also on error; a run killed outright leaves a folder in the temp dir that the next
    `git worktree prune` forgets)."""
    tmp = Path(tempfile.mkdtemp(prefix="qa-bench-previous-"))
    root = tmp / "checkout"
    try:
        _git("worktree", "add", "--detach", str(root), commit)
        yield Code(root)
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(root)],
            cwd=PROJECT,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=PROJECT, capture_output=True, check=False)


def _link_tree(src: Path, dst: Path) -> None:
    def link(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dst, copy_function=link)


def _embedding_source(root: Path) -> bytes:
    """The embedding module's source in a checkout (qa/index/ since the stage packages)."""
    for place in ("qa/index/embedding.py", "qa/embedding.py"):
        if (root / place).is_file():
            return (root / place).read_bytes()
    return b""


def prepare(code: Code) -> dict[str, Any]:
    """Before anything is timed: check that ``import qa`` resolves to the checkout, and build
    its seeds index (``qa index``; into the checkout's own index/ folder, since every version
    keeps its default index under <checkout>/index). A worktree whose embedding module is this
    one's gets this checkout's ONNX export of the embedding model (hard links: the same bytes it
    would export); otherwise it exports its own, here, with torch. The checkout's Python files
    are compiled to bytecode first, as any run leaves them: a cold start is then measured as a
    user meets it, also where PYTHONDONTWRITEBYTECODE is set (as on this machine's shells)."""
    compiled = code.run([sys.executable, "-m", "compileall", "-q", "qa", "eval"], timeout=600)
    if compiled.returncode != 0:
        raise RuntimeError(f"compileall in {code.root} failed: {compiled.stdout[-1000:]}")
    done = code.run([sys.executable, "-c", "import qa; print(qa.__file__)"])
    found = Path(done.stdout.strip() or "?").resolve()
    if done.returncode != 0 or not found.is_relative_to(code.root.resolve()):
        raise RuntimeError(f"import qa in {code.root} gave {found}: {done.stderr[-1000:]}")
    info: dict[str, Any] = {"root": str(code.root), "shared_model": False}
    models = PROJECT / "index" / "models"
    same = _embedding_source(code.root) == _embedding_source(PROJECT)
    if code != CURRENT and same and models.is_dir():
        for folder in models.iterdir():
            target = code.root / "index" / "models" / folder.name
            if folder.is_dir() and not folder.name.startswith(".") and not target.exists():
                _link_tree(folder, target)
                info["shared_model"] = True
    started = time.perf_counter()
    done = code.run(code.qa("index"), timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"qa index in {code.root} failed:\n{done.stderr[-3000:]}")
    info["index_s"] = round(time.perf_counter() - started, 1)
    return info


def _attempt(what: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The previous code's measurement, or the error it raised (the run goes on)."""
    try:
        return fn()
    except Exception as exc:  # reported in the results and the log
        _log(f"{what} failed: {exc}")
        return {"error": str(exc)[-2000:]}


def _worker(name: str, *args: str, code: Code = CURRENT, timeout: float = 3600) -> dict[str, Any]:
    """Run the benchmark's ``--worker NAME ARGS`` in a fresh process in ``code``'s checkout and
    return the JSON it prints. WORKER_FILE is run by path with ``-P`` (nothing prepended to
    sys.path), so its ``import qa`` is the checkout's; it loads this package from this project by
    path, under a private name, so neither this package nor the checkout's own ``eval`` is
    imported as ``eval.bench`` there (see worker.py)."""
    cmd = [sys.executable, "-P", str(WORKER_FILE), "--worker", name, *args]
    done = code.run(cmd, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"worker {name} in {code.root} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
