"""qa.cli.commands through click's CliRunner: plain and JSON output, stdin streaming, one-line
errors, corrupt indexes, and a --help that never imports torch."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import (
    DIRECTOR,
    DIRECTOR_QUESTION,
    LICENSES,
    PROJECT,
    SEED_002,
    SEED_003,
    SEEDS,
    ScriptedEngine,
    observatory_answer,
)

import qa.answer.engine
import qa.cli.commands
from qa.answer.engine import Engine
from qa.answer.reader import READER_DIR, Reader
from qa.answer.render import BOLD, RESET, render_answer
from qa.answer.settings import TUNED, ComposerSettings
from qa.cli.commands import ask_command, main
from qa.cli.common import fitted_for_another_reader
from qa.core.errors import ModelError
from qa.evaluate.gold import gold_digest
from qa.index.embedding import OnnxEncoder
from qa.index.store import current_build

ANSWERED = "How many police officers were killed in the ambush near Latakia?"
SHARED = "What does the Syrian regime accuse Turkey of?"
UNANSWERABLE = "Who won the 2018 World Cup?"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _ask(
    runner: CliRunner, corpus: Path, index: Path, *args: str, stdin: str | None = None
) -> Result:
    return runner.invoke(
        ask_command, [*args, "--corpus", str(corpus), "--index", str(index)], input=stdin
    )


# ---------------------------------------------------------------- answers (real seeds index)


@pytest.mark.slow
def test_plain_answer_then_numbered_citations(
    runner: CliRunner, seeds_engine: Engine, seeds_index_dir: Path
) -> None:
    expected = seeds_engine.ask(ANSWERED)
    assert not expected.abstained
    result = _ask(runner, SEEDS, seeds_index_dir, ANSWERED)
    assert result.exit_code == 0, result.output
    _no_traceback(result)
    assert "building" not in result.stderr  # the session index is reused, not rebuilt
    out = result.stdout
    head, _, sources = out.partition("\nSources (confidence ")
    assert sources, out
    short = f"{expected.short_answer.text} " if expected.short_answer else ""
    assert _flat(head) == short + _flat(expected.answer)  # the short answer leads
    assert sources.startswith(f"{expected.confidence:.2f}):")
    for i, c in enumerate(expected.citations, start=1):
        line = f"[{i}] {c.source} ¶{c.paragraph} (chars {c.start}–{c.end})"
        assert line in sources.splitlines()
        assert f"“{_flat(c.quote)}”" in _flat(sources)
    assert f"[{len(expected.citations) + 1}]" not in sources


@pytest.mark.slow
def test_plain_answer_lists_duplicate_copies(
    runner: CliRunner, seeds_engine: Engine, seeds_index_dir: Path
) -> None:
    expected = seeds_engine.ask(SHARED)
    copies = [d for c in expected.citations for d in c.also_in]
    assert copies, "the answer comes from a paragraph that 001 repeats"
    result = _ask(runner, SEEDS, seeds_index_dir, SHARED)
    assert result.exit_code == 0
    for d in copies:
        assert f"    also in {d.source} ¶{d.paragraph} (chars {d.start}–{d.end})" in result.stdout


@pytest.mark.slow
def test_plain_abstention_lists_nearest_passages(
    runner: CliRunner, seeds_engine: Engine, seeds_index_dir: Path
) -> None:
    expected = seeds_engine.ask(UNANSWERABLE)
    assert expected.abstained
    result = _ask(runner, SEEDS, seeds_index_dir, UNANSWERABLE)
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith(
        f"The sources don't answer this question (confidence {expected.confidence:.2f})."
    )
    assert "\nNearest passages:\n" in out
    assert "Sources (" not in out
    for i, c in enumerate(expected.related, start=1):
        assert f"[{i}] {c.source} ¶{c.paragraph} (chars {c.start}–{c.end})" in out.splitlines()
        assert _flat(c.quote) in _flat(out)


@pytest.mark.slow
@pytest.mark.parametrize("question", [ANSWERED, UNANSWERABLE])
def test_json_prints_exactly_one_object(
    runner: CliRunner, seeds_engine: Engine, seeds_index_dir: Path, question: str
) -> None:
    result = _ask(runner, SEEDS, seeds_index_dir, "--json", question)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == seeds_engine.ask(question).to_dict()


@pytest.mark.slow
def test_main_group_runs_ask(
    runner: CliRunner, seeds_engine: Engine, seeds_index_dir: Path
) -> None:
    result = runner.invoke(
        main,
        ["ask", "--json", ANSWERED, "--corpus", str(SEEDS), "--index", str(seeds_index_dir)],
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout) == seeds_engine.ask(ANSWERED).to_dict()


@pytest.mark.slow
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_stdin_one_json_object_per_line(
    runner: CliRunner, seeds_engine: Engine, seeds_index_dir: Path, newline: str
) -> None:
    questions = [ANSWERED, UNANSWERABLE, SHARED, "Who is the director of SOHR?"]
    stdin = newline.join(questions) + newline
    for args in (["--json", "-"], ["-"]):  # "-" implies --json
        result = _ask(runner, SEEDS, seeds_index_dir, *args, stdin=stdin)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert len(lines) == len(questions)
        objects = [json.loads(line) for line in lines]
        assert [o["question"] for o in objects] == questions
        assert objects == [a.to_dict() for a in seeds_engine.ask_many(questions)]


@pytest.mark.slow
def test_stdin_bad_line_reports_in_place_and_fails(
    runner: CliRunner, seeds_index_dir: Path
) -> None:
    stdin = f"{ANSWERED}\nwho\x07 rang?\n{UNANSWERABLE}\n"
    result = _ask(runner, SEEDS, seeds_index_dir, "--json", "-", stdin=stdin)
    assert result.exit_code == 1
    _no_traceback(result)
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["question"] for o in objects] == [ANSWERED, "who\x07 rang?", UNANSWERABLE]
    assert objects[1] == {
        "question": "who\x07 rang?",
        "error": "the question contains control characters",
    }
    assert "answer" in objects[0] and "answer" in objects[2]


# ---------------------------------------------------------------- short answers (no model)

ANSI = re.compile(r"\x1b\[[0-9;]*m")

# `ask` output for observatory_answer(short=False): what it printed before short answers existed
WITHOUT_SHORT = (
    "Its director is Rami Abdulrahman, a Coventry-based activist. He has run it from Coventry "
    "since\n"
    "2006.\n"
    "\n"
    "Sources (confidence 0.87):\n"
    "[1] observatory.txt ¶2 (chars 186–246)\n"
    "    “Its director is Rami Abdulrahman, a Coventry-based activist.”\n"
    "[2] observatory.txt ¶2 (chars 247–286)\n"
    "    “He has run it from Coventry since 2006.”\n"
)


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> ScriptedEngine:
    """`ask` answering from a ScriptedEngine instead of opening an index."""
    engine = ScriptedEngine()
    monkeypatch.setattr(qa.cli.commands, "_open_engine", lambda *_, **__: engine)
    return engine


def test_plain_answer_leads_with_the_short_answer(
    runner: CliRunner, scripted: ScriptedEngine
) -> None:
    result = runner.invoke(ask_command, [DIRECTOR_QUESTION])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.splitlines()[:2] == [DIRECTOR, ""]
    assert "\x1b" not in out  # CliRunner is not a terminal: no bold
    assert out == f"{DIRECTOR}\n\n{WITHOUT_SHORT}"


def test_plain_answer_without_a_short_answer_is_unchanged(
    runner: CliRunner, scripted: ScriptedEngine
) -> None:
    scripted.answer = observatory_answer(short=False)
    result = runner.invoke(ask_command, [DIRECTOR_QUESTION])
    assert result.exit_code == 0, result.output
    assert result.stdout == WITHOUT_SHORT


def test_json_carries_the_short_answer(runner: CliRunner, scripted: ScriptedEngine) -> None:
    result = runner.invoke(main, ["ask", "--json", DIRECTOR_QUESTION])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert list(body)[:3] == ["question", "answer", "short_answer"]
    short = body["short_answer"]
    assert short == {"text": DIRECTOR, "source": "observatory.txt", "start": 202, "end": 218}
    assert scripted.texts[short["source"]][short["start"] : short["end"]] == DIRECTOR
    first = body["citations"][0]
    assert first["start"] <= short["start"] < short["end"] <= first["end"]
    scripted.answer = observatory_answer(short=False)
    result = runner.invoke(main, ["ask", "-"], input=DIRECTOR_QUESTION + "\n")
    assert json.loads(result.stdout)["short_answer"] is None


def test_render_answer_bolds_the_short_answer_on_a_terminal() -> None:
    answer = observatory_answer()
    plain = render_answer(answer)
    bold = render_answer(answer, bold=True)
    assert plain == f"{DIRECTOR}\n\n{WITHOUT_SHORT}".rstrip("\n")
    lines = bold.splitlines()
    assert lines[0] == f"{BOLD}{DIRECTOR}{RESET}"
    assert lines[7] == f"    “Its director is {BOLD}{DIRECTOR}{RESET}, a Coventry-based activist.”"
    assert bold.count(BOLD) == 2  # on top and in quote [1], not in the answer line or quote [2]
    assert ANSI.sub("", bold) == plain
    # without a short answer, bold changes nothing
    assert render_answer(observatory_answer(short=False), bold=True) == WITHOUT_SHORT.rstrip()


def test_bold_inside_a_wrapped_quote_keeps_the_plain_text() -> None:
    answer = observatory_answer()
    cite = answer.citations[0]
    filler = "a hyphenated-word, “quoted” and naïve " * 2 + "x" * 59 + " "
    # the quote now wraps between the two words of the name
    wrapped = replace(cite, start=cite.start - len(filler), quote=filler + cite.quote)
    answer = replace(answer, citations=(wrapped, *answer.citations[1:]))
    plain = render_answer(answer)
    bold = render_answer(answer, bold=True)
    assert "Rami\n    Abdulrahman," in plain
    assert f"{BOLD}Rami\n    Abdulrahman{RESET}," in bold
    assert ANSI.sub("", bold) == plain


# ---------------------------------------------------------------- errors: one line, no traceback


def _error_case(tmp_path: Path, case: str) -> Path:
    if case == "seeds":
        return SEEDS
    corpus = tmp_path / "corpus"
    if case == "file":
        corpus.write_text("I am a file, not a folder.\n")
    elif case == "no-txt":
        corpus.mkdir()
        (corpus / "article.rtf").write_text("Rich text is not read.\n")
    elif case == "unreadable":
        corpus.mkdir()
        (corpus / "a.txt").write_bytes(b"\x00\x01binary")
        (corpus / "b.txt").write_bytes("caf\xe9".encode("latin-1"))
    return corpus


ERRORS = [
    pytest.param("", "seeds", "the question is empty", id="empty-question"),
    pytest.param(" \t ", "seeds", "the question is empty", id="blank-question"),
    pytest.param("who\x00?", "seeds", "the question contains control characters", id="control"),
    pytest.param("w" * 1001, "seeds", "the question is longer than 1000 characters", id="long"),
    pytest.param(ANSWERED, "missing", "does not exist — pass --corpus DIR", id="missing-corpus"),
    pytest.param(ANSWERED, "file", "is not a folder — pass --corpus DIR", id="corpus-is-a-file"),
    pytest.param(ANSWERED, "no-txt", "no .txt, .md, .html, .pdf or .docx files in", id="no-files"),
    pytest.param(
        ANSWERED,
        "unreadable",
        "no readable .txt, .md, .html, .pdf or .docx files",
        id="no-readable",
    ),
]


@pytest.mark.parametrize("entry", ["ask", "qa ask"])
@pytest.mark.parametrize(("question", "case", "message"), ERRORS)
def test_errors_are_one_line(
    runner: CliRunner, tmp_path: Path, question: str, case: str, message: str, entry: str
) -> None:
    corpus = _error_case(tmp_path, case)
    args = [question, "--corpus", str(corpus), "--index", str(tmp_path / "index")]
    if entry == "ask":
        result = runner.invoke(ask_command, args)
    else:
        result = runner.invoke(main, ["ask", *args])
    assert result.exit_code == 1
    _no_traceback(result)
    assert result.stdout == ""
    *before, last = result.stderr.splitlines()
    assert last.startswith("Error: ")
    assert message in last
    if case == "unreadable":  # the skipped files are named, one warning line each
        assert before[1:] == [
            "warning: skipping a.txt: binary file",
            "warning: skipping b.txt: not UTF-8",
        ]
        assert before[0].startswith("building the index for ")
    else:
        assert before == [], result.stderr
    assert not (tmp_path / "index" / "current").exists()


def test_missing_question_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(ask_command, [])
    assert result.exit_code == 2
    assert "Missing argument 'QUESTION'" in result.stderr


# ---------------------------------------------------------------- a damaged reading model


@pytest.fixture
def damaged_reader(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A copy of the shipped reader with its model.onnx flipped or deleted, used by the engine
    in this process (the shipped files are never touched): the path of the model file."""
    folder = tmp_path / "reader"
    shutil.copytree(READER_DIR, folder)
    model = folder / "model.onnx"
    if request.param == "flip":
        data = bytearray(model.read_bytes())
        data[len(data) // 2] ^= 0xFF
        model.write_bytes(bytes(data))
    else:
        model.unlink()

    class CopiedReader(Reader):
        def __init__(self, folder: Path = folder, **options: Any) -> None:
            super().__init__(folder, **options)

    monkeypatch.setattr(qa.answer.engine, "Reader", CopiedReader)
    return model


@pytest.mark.slow
@pytest.mark.parametrize("damaged_reader", ["flip", "delete"], indirect=True)
@pytest.mark.parametrize("command", ["ask", "ask -", "serve"])
def test_a_damaged_reading_model_is_one_line_before_anything_starts(
    runner: CliRunner,
    seeds_index_dir: Path,
    damaged_reader: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    listened: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: listened.append(a))
    where = ["--corpus", str(SEEDS), "--index", str(seeds_index_dir)]
    if command == "serve":
        result = runner.invoke(main, ["serve", *where])
    else:
        result = runner.invoke(
            ask_command,
            [command.removeprefix("ask ").strip() or ANSWERED, *where],
            input=ANSWERED + "\n",
        )
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert not listened, "the server must not start with a damaged model"
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert str(damaged_reader) in line
    assert "damaged" in line or "missing" in line
    assert "git checkout -- qa/models/reader" in line and "qa train-reader" in line


# ---------------------------------------------------------------- a candidate reading model


def test_tune_with_another_reader_must_name_where_its_fit_goes(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(main, ["tune", "--reader", str(tmp_path)])
    assert result.exit_code == 2
    assert "--tuned FILE" in result.stderr


def test_eval_with_a_missing_settings_file_is_a_usage_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(main, ["eval", "--tuned", str(tmp_path / "none.json")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_settings_fitted_for_another_reader_are_flagged(tmp_path: Path) -> None:
    tuned = tmp_path / "tuned.json"
    tuned.write_text(json.dumps({"settings": {}, "fitted_on": {"reader": "a" * 64}}))
    assert fitted_for_another_reader(tuned, "a" * 64) is None
    warning = fitted_for_another_reader(tuned, "b" * 64)
    assert warning is not None and str(tuned) in warning and "qa tune" in warning
    tuned.write_text(json.dumps({"settings": {}, "fitted_on": {}}))  # fitted before recording
    assert fitted_for_another_reader(tuned, "b" * 64) is None
    tuned.write_text("{ not json")
    assert fitted_for_another_reader(tuned, "b" * 64) is None


@pytest.mark.parametrize(
    "text",
    ["{ not json", "[1, 2]", '{"fitted_on": {}}', "\xff"],
    ids=["truncated", "not an object", "no settings", "not UTF-8"],
)
def test_a_damaged_settings_file_is_one_clear_error(
    runner: CliRunner, tmp_path: Path, text: str
) -> None:
    tuned = tmp_path / "tuned.json"
    tuned.write_bytes(text.encode("latin-1"))
    if text == '{"fitted_on": {}}':  # the right features, the settings missing
        shipped = json.loads(TUNED.read_text())["fitted_on"]
        tuned.write_text(json.dumps({"fitted_on": shipped}))
    with pytest.raises(ModelError, match="not a settings file written by `qa tune`"):
        ComposerSettings.tuned(tuned)
    result = runner.invoke(main, ["eval", "--tuned", str(tuned)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.count("\n") == 1 and str(tuned) in result.stderr


def test_settings_for_other_features_fall_back_only_when_not_named(tmp_path: Path) -> None:
    tuned = tmp_path / "tuned.json"
    saved = json.loads(TUNED.read_text())
    saved["fitted_on"]["sentence_features"] = ["a feature since removed"]
    saved["settings"]["threshold"] = 0.123
    tuned.write_text(json.dumps(saved))
    assert ComposerSettings.tuned(tuned) == ComposerSettings()  # the service: defaults
    with pytest.raises(ModelError, match="another feature set"):
        ComposerSettings.tuned(tuned, fallback=False)  # `--tuned FILE`: an error


def test_an_interrupted_fit_leaves_the_settings_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tuned = tmp_path / "tuned.json"
    ComposerSettings(threshold=0.25).save(tuned, {"reader": "a" * 64})
    before = tuned.read_bytes()

    def torn(path: Path, text: str, *args: Any, **kwargs: Any) -> int:
        path.write_bytes(text[:20].encode())  # half the file, then the process is stopped
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", torn)
    with pytest.raises(KeyboardInterrupt):
        ComposerSettings(threshold=0.75).save(tuned, {"reader": "b" * 64})
    monkeypatch.undo()
    assert tuned.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["tuned.json"]  # no partial file left
    ComposerSettings(threshold=0.75).save(tuned, {"reader": "b" * 64})
    assert json.loads(tuned.read_text())["settings"]["threshold"] == 0.75


def test_the_shipped_settings_record_the_shipped_reader() -> None:
    shipped = Reader().fingerprint
    assert fitted_for_another_reader(TUNED, shipped) is None
    assert json.loads(TUNED.read_text())["fitted_on"]["reader"] == shipped


@pytest.mark.slow
def test_a_candidate_reader_is_fitted_into_its_own_file(runner: CliRunner, tmp_path: Path) -> None:
    """`qa tune --reader DIR --tuned FILE` fits for that model and leaves qa/tuned.json alone."""
    candidate = tmp_path / "reader"
    shutil.copytree(READER_DIR, candidate)
    out = tmp_path / "tuned.json"
    shipped = TUNED.read_bytes()
    gold = PROJECT / "eval" / "gold" / "licenses.jsonl"
    args = ["tune", "--gold", str(gold), str(LICENSES), "--reader", str(candidate)]
    result = runner.invoke(main, [*args, "--tuned", str(out)])
    assert result.exit_code == 0, result.output
    assert TUNED.read_bytes() == shipped
    fitted = json.loads(out.read_text())
    assert fitted["fitted_on"]["reader"] == Reader(candidate).fingerprint
    assert fitted["fitted_on"]["gold"] == {"licenses.jsonl": gold_digest(gold)}
    assert 0.0 < fitted["settings"]["threshold"] < 1.0
    assert "warning" not in result.stderr


# ---------------------------------------------------------------- corrupt indexes


@pytest.fixture(scope="module")
def small_index(
    tmp_path_factory: pytest.TempPathFactory, onnx_encoder: OnnxEncoder
) -> tuple[Path, Path]:
    """Two seed articles and their index, built once with the real encoder."""
    root = tmp_path_factory.mktemp("small")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in (SEED_002, SEED_003):
        shutil.copy(SEEDS / name, corpus / name)
    Engine.open(corpus, index_dir=root / "index", encoder=onnx_encoder)
    return corpus, root / "index"


def _copy_index(small_index: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path, Path]:
    corpus, index = small_index
    copy = tmp_path / "index"
    shutil.copytree(index, copy, symlinks=True)
    build = current_build(copy)
    assert build is not None and build.is_relative_to(copy.resolve())
    return corpus, copy, build


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("file", "content", "note"),
    [
        pytest.param("manifest.json", b"{ this is not json", "unreadable", id="manifest-garbage"),
        pytest.param("manifest.json", b"", "unreadable", id="manifest-empty"),
        pytest.param("manifest.json", b"\x89PNG\r\n\x1a\n\x00", "unreadable", id="manifest-binary"),
        pytest.param("manifest.json", b"[]", "manifest", id="manifest-json-list"),
        pytest.param("manifest.json", b"null", "manifest", id="manifest-json-null"),
        pytest.param("index.faiss", None, "rebuilding", id="faiss-truncated"),
        pytest.param("passages.jsonl", b"garbage\n", "rebuilding", id="passages-garbage"),
    ],
)
def test_corrupt_index_is_rebuilt_with_a_note(
    runner: CliRunner,
    small_index: tuple[Path, Path],
    tmp_path: Path,
    file: str,
    content: bytes | None,
    note: str,
) -> None:
    corpus, index, build = _copy_index(small_index, tmp_path)
    if content is None:
        _truncate(build / file)
    else:
        (build / file).write_bytes(content)
    question = "How many casualties were there over four days?"
    result = _ask(runner, corpus, index, "--json", question)
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    stderr = result.stderr.strip().splitlines()
    assert len(stderr) == 1 and note in stderr[0], result.stderr
    assert json.loads(result.stdout)["question"] == question
    rebuilt = current_build(index)
    assert rebuilt is not None and rebuilt != build
    # and the next question is answered from the repaired index without another build
    again = _ask(runner, corpus, index, "--json", question)
    assert again.exit_code == 0 and again.stderr == ""
    assert json.loads(again.stdout) == json.loads(result.stdout)


@pytest.mark.slow
def test_index_command_builds_then_reports_up_to_date(
    runner: CliRunner, small_index: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus, _ = small_index
    args = ["index", "--json", "--corpus", str(corpus), "--index", str(tmp_path / "index")]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["built"] is True
    assert report["counts"]["documents"] == 2
    second = runner.invoke(main, args)
    assert second.exit_code == 0
    again = json.loads(second.stdout)
    assert again["built"] is False and again["index"] == report["index"]
    assert again["index_version"] == report["index_version"]
    plain = runner.invoke(main, args[:1] + args[2:])
    assert plain.exit_code == 0
    assert plain.stdout.startswith("Up to date: ")
    assert "2 documents" in plain.stdout


# ---------------------------------------------------------------- import weight

_MODULES = (
    "import sys\n"
    "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
    "{'torch', 'sentence_transformers', 'transformers'})\n"
    "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
)


def _run_entry(entry: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        f"sys.argv = {[entry, *args]!r}\n"
        f"from qa.cli import {'ask_main as entry' if entry == 'ask' else 'main as entry'}\n"
        "try:\n    entry()\nexcept SystemExit as exc:\n    code = exc.code\nelse:\n    code = 0\n"
        + _MODULES
        + "sys.exit(code)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, timeout=120
    )


def _heavy(stderr: str) -> str:
    match = re.search(r"^HEAVY=(.*)$", stderr, re.MULTILINE)
    assert match, stderr
    return match.group(1)


@pytest.mark.parametrize(
    ("entry", "args"),
    [
        ("ask", ["--help"]),
        ("qa", ["--help"]),
        ("qa", ["ask", "--help"]),
        ("qa", ["index", "--help"]),
        ("qa", ["--version"]),
    ],
)
def test_help_does_not_import_torch(entry: str, args: list[str]) -> None:
    proc = _run_entry(entry, args)
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout or "version" in proc.stdout
    assert _heavy(proc.stderr) == ""


@pytest.mark.slow
def test_answering_does_not_import_torch(seeds_index_dir: Path) -> None:
    proc = _run_entry(
        "ask", ["--json", ANSWERED, "--corpus", str(SEEDS), "--index", str(seeds_index_dir)]
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["question"] == ANSWERED
    assert _heavy(proc.stderr) == ""
