"""The encoders a reader trains from: all-mpnet-base-v2 joined from its split-zip pieces (here a
tiny random MPNet packed the same way), its pinned checksum, and the pair typing of its
tokenizer."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from qa.core.errors import ModelError
from qa.index.store import sha256_file
from qa.train.base import BASES, MPNET_FOLDER, mpnet_folder

LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"


def tiny_mpnet(folder: Path) -> Path:
    """A random two-layer MPNet with a character-level WordPiece tokenizer, saved as a
    sentence-transformers folder (config, safetensors, tokenizer.json with RoBERTa's
    post-processor, as the real one)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import MPNetConfig, MPNetModel

    vocab = ["<s>", "<pad>", "</s>", "[UNK]", *LETTERS, *(f"##{c}" for c in LETTERS)]
    vocab += list(".,?!'-()")
    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    folder.mkdir(parents=True)
    tok.save(str(folder / "tokenizer.json"))
    config = MPNetConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=300,
        pad_token_id=1,
    )
    MPNetModel(config).save_pretrained(str(folder))
    return folder


def split_zip(folder: Path, out: Path, pieces: int = 5) -> list[Path]:
    """The folder zipped as ``all-mpnet-base-v2/…`` and cut into ``pieces`` files."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, f"{MPNET_FOLDER}/{path.name}")
    data = buf.getvalue()
    size = -(-len(data) // pieces)
    out.mkdir(parents=True)
    paths = []
    for i in range(pieces):
        path = out / f"all-mpnet-base-v2.zip.{i + 1:03d}"
        path.write_bytes(data[i * size : (i + 1) * size])
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], str]:
    root = tmp_path_factory.mktemp("mpnet")
    folder = tiny_mpnet(root / "model")
    return split_zip(folder, root / "pieces"), sha256_file(folder / "model.safetensors")


def test_the_pieces_join_unpack_and_check_once(
    packed: tuple[list[Path], str], tmp_path: Path
) -> None:
    pieces, digest = packed
    folder = mpnet_folder(tmp_path, pieces, digest)
    assert folder == tmp_path / MPNET_FOLDER
    assert sha256_file(folder / "model.safetensors") == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == [MPNET_FOLDER]  # nothing left over
    # the second call finds the folder (pieces no longer needed) and checks it again
    assert mpnet_folder(tmp_path, [], digest) == folder
    (folder / "model.safetensors").write_bytes(b"tampered")
    with pytest.raises(ModelError, match="not the pinned"):
        mpnet_folder(tmp_path, [], digest)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("wrong-sha", "not the pinned"),
        ("missing-piece", "not a whole zip archive"),
        ("unsafe", "unsafe path"),
    ],
)
def test_bad_pieces_are_one_clear_error_and_leave_nothing(
    packed: tuple[list[Path], str], tmp_path: Path, damage: str, message: str
) -> None:
    pieces, digest = packed
    cache = tmp_path / "cache"
    if damage == "wrong-sha":
        digest = "0" * 64
    elif damage == "missing-piece":
        pieces = pieces[:2] + pieces[3:]
    else:
        evil = tmp_path / "evil.zip"
        with zipfile.ZipFile(evil, "w") as zf:
            zf.writestr("../outside.txt", "x")
        pieces = [evil]
    with pytest.raises(ModelError, match=message):
        mpnet_folder(cache, pieces, digest)
    assert not (tmp_path / "outside.txt").exists()
    left = [p.name for p in cache.iterdir()]
    assert left in ([], [MPNET_FOLDER]) and (damage == "wrong-sha") == bool(left)


def test_the_readers_mpnet_tokenizer_types_the_sentence(
    packed: tuple[list[Path], str], tmp_path: Path
) -> None:
    from tokenizers import Tokenizer

    pieces, digest = packed
    folder = mpnet_folder(tmp_path, pieces, digest)
    raw = Tokenizer.from_file(str(folder / "tokenizer.json"))
    typed = Tokenizer.from_str(BASES["mpnet"].tokenizer_json(folder))
    a, b = (t.encode("who is it?", "it is ada.") for t in (raw, typed))
    assert a.ids == b.ids and a.offsets == b.offsets  # the same tokens …
    assert set(a.type_ids) == {0}  # … RoBERTa's template types none of them
    assert b.type_ids == [0 if s != 1 else 1 for s in b.sequence_ids[:-1]] + [1]
    assert typed.encode("who").type_ids == [0] * len(typed.encode("who").ids)
