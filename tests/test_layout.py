"""The house rules of qa/: every module in a stage package, none over 400 lines, and imports that
run one way — the contract in pyproject.toml ([tool.importlinter]) that `make check` enforces,
shown here to fail on an import against it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from fakes import PROJECT

QA = PROJECT / "qa"
STAGES = {"core", "ingest", "index", "answer", "evaluate", "train", "serve", "cli"}
MAX_LINES = 400


def test_every_module_sits_in_a_stage_package() -> None:
    top = sorted(p.name for p in QA.glob("*.py"))
    assert top == ["__init__.py"]
    packages = {p.name for p in QA.iterdir() if (p / "__init__.py").is_file()}
    assert packages == STAGES


def test_no_module_over_400_lines() -> None:
    sizes = {str(p.relative_to(PROJECT)): len(p.read_text().splitlines()) for p in QA.rglob("*.py")}
    assert {k: v for k, v in sizes.items() if v > MAX_LINES} == {}


def test_every_stage_says_what_it_holds_and_may_import() -> None:
    for stage in STAGES:
        doc = (QA / stage / "__init__.py").read_text()
        assert doc.startswith('"""') and "May import:" in doc, stage


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    lint = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(lint), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _lint_with(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess[str]:
    """The contracts checked on a scratch copy of qa/ where ``module`` (a path under qa/) ends
    with ``line``."""
    shutil.copytree(QA, tmp_path / "qa", ignore=shutil.ignore_patterns("models", "__pycache__"))
    shutil.copy(PROJECT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / "qa" / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")
    return _lint(tmp_path)


def test_the_import_contract_holds_and_fails_on_an_upward_import(tmp_path: Path) -> None:
    assert _lint(PROJECT).returncode == 0
    # the bottom layer reaching up to the reader
    done = _lint_with(tmp_path, "core/text.py", "from qa.answer import reader")
    assert done.returncode != 0
    assert "BROKEN" in done.stdout and "qa.core.text -> qa.answer.reader" in done.stdout


def test_the_server_may_not_import_the_evaluation(tmp_path: Path) -> None:
    """The layers alone would allow it (serve sits above evaluate); the second contract not."""
    done = _lint_with(tmp_path, "serve/wire.py", "from qa.evaluate import metrics")
    assert done.returncode != 0
    assert "The server never imports the evaluation BROKEN" in done.stdout
