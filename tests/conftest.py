"""Shared fixtures. The real seeds index is built once per session into a temporary folder;
unit tests use the hashing encoder from fakes.py on tiny corpora instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fakes import MODELS, SEEDS, TINY_CORPUS, HashingEncoder, write_corpus

from qa.answer.engine import Engine
from qa.index.embedding import OnnxEncoder, ensure_onnx


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The project's ONNX export cache (exported once, then reused)."""
    return MODELS


@pytest.fixture(scope="session")
def onnx_encoder(models_dir: Path) -> OnnxEncoder:
    return OnnxEncoder(ensure_onnx(models_dir))


@pytest.fixture(scope="session")
def seeds_index_dir(
    tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path, onnx_encoder: OnnxEncoder
) -> Path:
    """An index of seeds/ built once per session with the real encoder."""
    index_dir = tmp_path_factory.mktemp("seeds-index")
    Engine.open(seeds_dir, index_dir=index_dir, encoder=onnx_encoder)
    return index_dir


@pytest.fixture(scope="session")
def seeds_engine(seeds_dir: Path, seeds_index_dir: Path, onnx_encoder: OnnxEncoder) -> Engine:
    """A read-only engine over the session's seeds index; never mutate it."""
    return Engine.open(seeds_dir, index_dir=seeds_index_dir, encoder=onnx_encoder)


@pytest.fixture
def fake_encoder() -> HashingEncoder:
    return HashingEncoder()


@pytest.fixture
def make_corpus(tmp_path: Path) -> Callable[..., Path]:
    """make_corpus({"a.txt": "..."}, name="corpus") → a folder under tmp_path."""

    def make(files: dict[str, str | bytes] | None = None, name: str = "corpus") -> Path:
        return write_corpus(tmp_path / name, dict(TINY_CORPUS if files is None else files))

    return make
