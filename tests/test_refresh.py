"""Incremental refresh (qa.index.refresh): after random adds, edits, deletes and moves on each gold
corpus, the refreshed index is the full rebuild's, file for file, and answers every gold question
the same; only added and changed files are read, parsed and embedded."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest
from fakes import HashingEncoder

from eval import article
from qa.answer.engine import Engine, ensure_index
from qa.evaluate.gold import COMMITTED, load_gold
from qa.index.build import build_index
from qa.index.chunking import ChunkSettings
from qa.index.embedding import OnnxEncoder
from qa.index.store import current_build

COMPARED = (
    "passages.jsonl",
    "documents.jsonl",
    "offsets.npy",
    "sentences.npy",
    "idf.json",
    "index.faiss",
    "sentences.faiss",
)


def _paragraphs(path: Path) -> list[str]:
    return [p for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]


def _mutate(corpus: Path, rng: random.Random, round_: int) -> dict[str, set[str]]:
    """A few random adds, edits, deletes and moves; what the refresh should report."""
    done: dict[str, set[str]] = {"added": set(), "changed": set(), "removed": set()}
    for step in range(rng.randint(2, 4)):
        files = sorted(p for p in corpus.rglob("*.txt"))
        op = rng.choice(["edit", "edit", "add", "copy-first", "delete", "move", "touch"])
        target = rng.choice(files)
        name = target.relative_to(corpus).as_posix()
        if op == "edit":
            paras = _paragraphs(target)
            if len(paras) > 2 and rng.random() < 0.5:
                paras.pop(rng.randrange(len(paras)))
            else:
                paras.insert(rng.randrange(len(paras) + 1), f"Edit {round_}.{step} changed it.")
            target.write_text("\n\n".join(paras) + "\n", encoding="utf-8")
            if name not in done["added"]:
                done["changed"].add(name)
        elif op in ("add", "copy-first"):
            # a new file of paragraphs from others: near-duplicates of unchanged files; sorting
            # first, it takes the canonical copy from the file it was made from
            first = op == "copy-first"
            paras = _paragraphs(target) if first else []
            for other in rng.sample(files, min(2, len(files))):
                paras += rng.sample(_paragraphs(other), min(2, len(_paragraphs(other))))
            new = corpus / (f"000-{round_}-{step}.txt" if first else f"sub/new-{round_}-{step}.txt")
            new.parent.mkdir(exist_ok=True)
            new.write_text("\n\n".join(paras) + "\n", encoding="utf-8")
            done["added"].add(new.relative_to(corpus).as_posix())
        elif op == "delete" and len(files) > 2:
            target.unlink()
            if name in done["added"]:
                done["added"].discard(name)
            else:
                done["changed"].discard(name)
                done["removed"].add(name)
        elif op == "move" and len(files) > 2 and name not in done["added"]:
            moved = corpus / "moved" / target.name
            moved.parent.mkdir(exist_ok=True)
            if moved.exists():
                continue
            target.rename(moved)
            done["changed"].discard(name)
            done["removed"].add(name)
            done["added"].add(moved.relative_to(corpus).as_posix())
        elif op == "touch":
            os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 10**9))
    return done


def _same_build(a: Path, b: Path) -> None:
    for name in COMPARED:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for part in sorted((a / "bm25").iterdir()):
        assert part.read_bytes() == (b / "bm25" / part.name).read_bytes(), part.name
    ma, mb = (json.loads((x / "manifest.json").read_text()) for x in (a, b))
    assert ma == mb


# squad-heldout, the largest gold corpus, in the slow tier (`make test-all`)
@pytest.mark.parametrize(
    ("gold", "corpus"),
    [
        pytest.param(g, c, id=c.name, marks=[pytest.mark.long] if c.name == "squad-heldout" else [])
        for g, c in COMMITTED
    ],
)
def test_refresh_equals_full_rebuild(gold: Path, corpus: Path, tmp_path: Path) -> None:
    rng = random.Random(f"refresh-{corpus.name}")
    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    encoder = HashingEncoder()
    refreshed = tmp_path / "refreshed"
    ensure_index(work, refreshed, encoder)
    # identical files answer identically; the answers are compared on a sample to show it
    questions = [q.question for q in load_gold(gold)][:25]
    for round_ in range(2):
        expected = _mutate(work, rng, round_)
        encoder.encoded = 0
        report = ensure_index(work, refreshed, encoder)
        changed = expected["added"] | expected["changed"] | expected["removed"]
        if not changed:
            assert report is None
            continue
        assert report is not None and report.mode == "refresh"
        counts = {k: report.counts[k] for k in ("added", "changed", "removed")}
        assert counts == {k: len(v) for k, v in expected.items()}, expected
        full = build_index(work, tmp_path / f"full-{round_}", HashingEncoder(), ChunkSettings())
        assert full.mode == "full"
        assert encoder.encoded < full.counts["passages"] + full.counts["sentences"]
        build = current_build(refreshed)
        assert build is not None
        _same_build(build, full.path)
    a = Engine.open(work, index_dir=refreshed, encoder=encoder)
    b = Engine.open(work, index_dir=full.path.parent.parent, encoder=HashingEncoder())
    for x, y in zip(a.ask_many(questions), b.ask_many(questions), strict=True):
        assert x.to_dict() == y.to_dict()


def test_refresh_across_formats(tmp_path: Path) -> None:
    """Unchanged files of every format are reused; an edited one is converted again."""
    corpus = tmp_path / "corpus"
    article.write_all(corpus)
    index = tmp_path / "index"
    ensure_index(corpus, index, HashingEncoder())
    (corpus / "md" / "velmora.md").write_text(article.as_markdown() + "\nA closing line.\n")
    (corpus / "html" / "velmora.html").unlink()
    (corpus / "extra.txt").write_text(article.as_txt())
    encoder = HashingEncoder()
    report = ensure_index(corpus, index, encoder)
    assert report is not None and report.mode == "refresh"
    assert {k: report.counts[k] for k in ("added", "changed", "removed", "reused")} == {
        "added": 1,
        "changed": 1,
        "removed": 1,
        "reused": 3,
    }
    full = build_index(corpus, tmp_path / "full", HashingEncoder())
    build = current_build(index)
    assert build is not None
    _same_build(build, full.path)
    engine = Engine.open(corpus, index_dir=index, encoder=HashingEncoder())
    pdf = engine.source("pdf/velmora.pdf")
    assert {p.page for p in pdf.paragraphs} == {1, 2, 3}


def test_unchanged_files_are_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    article.write_all(corpus)
    index = tmp_path / "index"
    ensure_index(corpus, index, HashingEncoder())
    (corpus / "new.md").write_text("# New\n\nA new note about the harbour lights.\n")
    read: list[str] = []
    import qa.index.refresh

    real = qa.index.refresh.read_bytes

    def spy(path: Path, name: str) -> bytes | None:
        read.append(name)
        return real(path, name)

    monkeypatch.setattr(qa.index.refresh, "read_bytes", spy)
    report = ensure_index(corpus, index, HashingEncoder())
    assert report is not None and report.counts["reused"] == 5
    assert read == ["new.md"]  # read once, and nothing else read


@pytest.mark.slow
@pytest.mark.long
def test_refresh_with_the_model_answers_as_a_full_rebuild(
    onnx_encoder: OnnxEncoder, tmp_path: Path
) -> None:
    """With the real encoder, reused vectors come from the earlier build (a full rebuild may
    differ in their last bits): every seeds gold answer is still the full rebuild's."""
    gold, corpus = COMMITTED[0]
    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    refreshed = tmp_path / "refreshed"
    ensure_index(work, refreshed, onnx_encoder)
    _mutate(work, random.Random("model"), 0)
    (work / "sub").mkdir(exist_ok=True)
    shutil.copy(corpus / sorted(p.name for p in corpus.glob("*.txt"))[0], work / "sub" / "a.txt")
    report = ensure_index(work, refreshed, onnx_encoder)
    assert report is not None and report.mode == "refresh" and report.counts["reused"] > 0
    build_index(work, tmp_path / "full", onnx_encoder)
    questions = [q.question for q in load_gold(gold)]
    a = Engine.open(work, index_dir=refreshed, encoder=onnx_encoder)
    b = Engine.open(work, index_dir=tmp_path / "full", encoder=onnx_encoder)
    for x, y in zip(a.ask_many(questions), b.ask_many(questions), strict=True):
        assert x.to_dict() == y.to_dict()
