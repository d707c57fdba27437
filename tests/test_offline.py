"""Nothing needs the network: opening (and building) an index, asking, the CLI, and the one-time
ONNX export all work with every outgoing connection refused."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import MODELS, SEED_002, SEED_003, SEEDS

from qa.answer.composer import verify
from qa.answer.engine import Engine
from qa.cli.commands import ask_command
from qa.index.embedding import OnnxEncoder, ensure_onnx


class NetworkUsed(OSError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Refuse every outgoing connection and DNS lookup; the list records each attempt."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args[1:] if args and isinstance(args[0], socket.socket) else args)
        raise NetworkUsed(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_the_guard_refuses_connections(no_network: list[object]) -> None:
    with pytest.raises(NetworkUsed):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(NetworkUsed):
        s.connect(("127.0.0.1", 9))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(NetworkUsed):
        s.connect_ex(("127.0.0.1", 9))
    assert len(no_network) == 3


QUESTION = "Who leads the new interim government in Syria?"


@pytest.mark.slow
def test_build_open_and_ask_offline(no_network: list[object], tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (SEED_002, SEED_003):
        shutil.copy(SEEDS / name, corpus / name)
    notes: list[str] = []
    # no encoder passed: the engine loads the ONNX export itself, then builds the index
    engine = Engine.open(
        corpus, index_dir=tmp_path / "index", models_dir=MODELS, on_build=notes.append
    )
    assert notes and notes[0].startswith("building the index")
    answer = engine.ask(QUESTION)
    for c in answer.citations + answer.related:
        verify(c, engine.texts)
    reopened = Engine.open(corpus, index_dir=tmp_path / "index", models_dir=MODELS)
    again = reopened.ask(QUESTION)
    assert again.to_dict() == answer.to_dict()
    assert no_network == []


@pytest.mark.slow
def test_seeds_engine_asks_offline(no_network: list[object], seeds_engine: Engine) -> None:
    answers = seeds_engine.ask_many(
        ["who led the 2014 Kassab offensive?", "Who won the 2018 World Cup?"]
    )
    assert len(answers) == 2
    assert no_network == []


@pytest.mark.slow
def test_cli_offline(no_network: list[object], seeds_index_dir: Path) -> None:
    result = CliRunner().invoke(
        ask_command,
        [
            "--json",
            "Who is Germany's Special Envoy for Syria?",
            "--corpus",
            str(SEEDS),
            "--index",
            str(seeds_index_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["question"] == "Who is Germany's Special Envoy for Syria?"
    assert no_network == []


@pytest.mark.slow
def test_onnx_export_offline(
    no_network: list[object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-time export (sentence-transformers + torch) must not reach for the hub even when
    the offline variables are not set by the caller."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(name, "unset-by-test")  # recorded, so the original is restored
        monkeypatch.delenv(name)
    folder = ensure_onnx(tmp_path / "models")
    assert (folder / "meta.json").is_file() and (folder / "model.onnx").is_file()
    assert not list((tmp_path / "models").glob(".export-*"))
    exported = OnnxEncoder(folder)
    cached = OnnxEncoder(ensure_onnx(MODELS))
    assert exported.fingerprint == cached.fingerprint
    texts = ["Who led the offensive?", "Rebel fighters pray at the beach of al-Samra."]
    assert float((exported.encode(texts) * cached.encode(texts)).sum(1).min()) > 0.9999
    assert ensure_onnx(tmp_path / "models") == folder  # second call reuses the export
    assert no_network == []
