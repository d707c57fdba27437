"""The reading model's artefacts: ONNX export checked against torch, onnxruntime's transformer
optimiser, the feed-forward output matrices smoothed for 8 bits (where the base asks for it) and
per-channel int8 quantisation; the way back (a published model's int8 weights, dequantised, into
the torch network, so training can continue from a shipped model); the
reader's figures on its held-out articles; the check of a shipped model card against its files.

Used by `qa train-reader` (``qa.train.training``); torch is imported inside ``export`` and
``import_weights`` only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.reader import (
    CARD_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    Reader,
    batch_arrays,
    sigmoid,
)
from qa.core.errors import ModelError
from qa.index.store import sha256_file
from qa.train.data import Item, window

# ---------------------------------------------------------------- export


# the int8 graph may move the answer probabilities this much on average over the sample pairs
# (measured: the landed MiniLM reader 0.011, mpnet 0.028; a graph that reads at chance 0.49)
INT8_TOLERANCE = 0.05
# SmoothQuant (Xiao et al., 2022) for the matrices a GELU feeds (the feed-forward outputs): their
# inputs, 3072 activations wide, have outlier channels that one dynamic 8-bit scale per tensor
# cannot hold. Measured on the mpnet reader at 25,000 pairs, span F1 in the answer sentences of
# 180 held-out dev questions: fp32 0.724, int8 0.597; smoothed with alpha 0.5 0.593, 0.7 0.716,
# 0.85 0.733, 1.0 0.721; on 128 training pairs 0.7 moved the answer probabilities least (0.023
# against 0.031 unsmoothed) and kept the most best spans (0.953 against 0.914): docs/reader.md,
# "Quantisation on a CPU without VNNI". Each base says whether it is smoothed
# (``qa.train.base.Base.smooth_alpha``): the scaled rows quantise more coarsely, so a smoothed
# graph loads back (``import_weights``) less exactly, a cost only worth paying where it helps.
SMOOTH_SUFFIX = "_smooth_inverse"
SAMPLE = (
    ("Who led the offensive?", "Rebel factions led the offensive on the town in March."),
    ("When was it built?", "The bridge, which spans the river, was built in 1932."),
)


def export(
    net: Any,
    folder: Path,
    tok: Any,
    tok_json: str,
    sample: Sequence[tuple[str, str]] = SAMPLE,
    smooth_alpha: float | None = None,
) -> dict[str, Any]:
    """ONNX export (fp32, kept as model.fp32.onnx for comparison) checked against torch, then
    onnxruntime's transformer graph optimiser (fused attention, layer norms and GELU; checked
    against torch again), with ``smooth_alpha`` the feed-forward outputs smoothed on the
    ``sample`` pairs (``smooth``, checked again), and dynamic int8 quantisation of its weights,
    per channel (model.onnx), checked against torch on the ``sample`` pairs (``check_int8``: its
    figures are returned for the card); ``tok_json`` (the tokenizer ``tok`` was made from) is
    written beside it."""
    import warnings

    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    names = ["input_ids", "attention_mask", "token_type_ids"]
    feed = batch_arrays(tok.encode_batch(list(SAMPLE)))
    inputs = tuple(torch.from_numpy(feed[n]) for n in names)
    dynamic: dict[str, dict[int, str]] = {n: {0: "batch", 1: "seq"} for n in names}
    dynamic.update(
        {"logit": {0: "batch"}, "start": {0: "batch", 1: "seq"}, "end": {0: "batch", 1: "seq"}}
    )
    fp32 = folder / "model.fp32.onnx"
    # the eager attention graph is the one onnxruntime's optimiser fuses into Attention ops
    net.encoder.set_attn_implementation("eager")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            inputs,
            str(fp32),
            input_names=names,
            output_names=["logit", "start", "end"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
        reference = [t.numpy() for t in net(*inputs)]
    check_export(fp32, feed, reference)
    optimized = folder / "model.opt.onnx"
    config = net.encoder.config
    opt = optimize_model(
        str(fp32),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
    )
    opt.save_model_to_file(str(optimized))
    check_export(optimized, feed, reference)
    many = batch_arrays(tok.encode_batch(list(sample)))
    if smooth_alpha is not None:
        smooth(optimized, many, smooth_alpha)
        check_export(optimized, feed, reference)
    quantize_dynamic(
        str(optimized),
        str(folder / MODEL_FILE),
        # unsigned weights: signed ones saturate the int16 sums of an AVX2 CPU without VNNI
        weight_type=QuantType.QUInt8,
        per_channel=True,  # per-tensor scales cost 2 points of held-out span F1, these ~1
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    optimized.unlink()
    with torch.no_grad():
        expected = [t.numpy() for t in net(*(torch.from_numpy(many[n]) for n in names))]
    agreement = check_int8(folder / MODEL_FILE, many, expected[0], expected[1:])
    (folder / TOKENIZER_FILE).write_text(tok_json, encoding="utf-8")
    return agreement


def smooth(path: Path, feed: dict[str, np.ndarray], alpha: float) -> int:
    """Rewrite the fp32 graph at ``path`` so that dynamic 8-bit quantisation keeps it: each
    matrix W fed by a GELU gets X W = (X / s) (diag(s) W), with s_j = max|X_j|^alpha /
    max|W_j|^(1 - alpha) over the tokens of the calibration pairs ``feed`` (training pairs).
    The division is a Mul node before the matrix (its constant named ``…_smooth_inverse``, so
    ``import_weights`` can undo it); in fp32 the graph computes the same. Returns how many
    matrices were smoothed."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    init = {t.name: t for t in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    gelu = ("Gelu", "BiasGelu", "FastGelu")
    targets = [
        n
        for n in graph.node
        if n.op_type == "MatMul"
        and n.input[1] in init
        and getattr(producer.get(n.input[0]), "op_type", "") in gelu
    ]
    if not targets:
        return 0
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    inputs = list(dict.fromkeys(n.input[0] for n in targets))
    for name in inputs:
        probe.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    tokens = feed["attention_mask"].astype(bool)
    largest = {
        name: np.abs(x[tokens]).max(axis=0)
        for name, x in zip(inputs, session.run(inputs, feed), strict=True)
    }
    for n in targets:
        weight = numpy_helper.to_array(init[n.input[1]])  # [in, out]
        x_max = np.clip(largest[n.input[0]], 1e-5, None)
        w_max = np.clip(np.abs(weight).max(axis=1), 1e-5, None)
        s = (x_max**alpha / w_max ** (1 - alpha)).astype(np.float32)
        init[n.input[1]].CopyFrom(numpy_helper.from_array(weight * s[:, None], n.input[1]))
        inverse = f"{n.name}{SMOOTH_SUFFIX}"
        graph.initializer.append(numpy_helper.from_array((1.0 / s).astype(np.float32), inverse))
        smoothed = f"{n.input[0]}/smoothed/{n.name}"
        mul = helper.make_node("Mul", [n.input[0], inverse], [smoothed], name=f"{n.name}/smooth")
        graph.node.insert(list(graph.node).index(n), mul)
        n.input[0] = smoothed
    onnx.save(model, str(path))
    return len(targets)


def check_export(path: Path, feed: dict[str, np.ndarray], reference: Sequence[np.ndarray]) -> float:
    """The largest absolute difference between the ONNX graph's outputs and torch's on the
    sentence tokens; ModelError above 1e-3."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, feed)
    inside = _span_tokens(feed)
    diff = max(
        float(np.abs(got[0] - reference[0]).max()),
        float(np.abs(got[1][inside] - reference[1][inside]).max()),
        float(np.abs(got[2][inside] - reference[2][inside]).max()),
    )
    if diff > 1e-3:
        raise ModelError(f"the ONNX export differs from the torch model by {diff:.2e}")
    return diff


def _span_tokens(feed: dict[str, np.ndarray]) -> np.ndarray:
    """Where a span may start or end: the sentence's tokens, and [CLS] (the "no answer" span of
    a model trained with one)."""
    inside: np.ndarray = feed["token_type_ids"] == 1
    inside[:, 0] = True
    return inside


def check_int8(
    path: Path,
    feed: dict[str, np.ndarray],
    logits: np.ndarray,
    spans: Sequence[np.ndarray] = (),
) -> dict[str, Any]:
    """How far the int8 graph moves the answer probabilities of torch's ``logits`` on the pairs
    of ``feed``; ModelError when their mean moves more than INT8_TOLERANCE. Quantisation costs a
    point or two when it works; an outlier in the activations can make it read at chance (a
    run of 2026-12-07 did: its int8 file chose the right sentence for 0.20 of the questions
    its fp32 graph answered at 0.84). Given torch's start and end logits (``spans``), also the
    share of pairs whose best start and best end token stay torch's (a figure for the card)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(["logit", "start", "end"], feed)
    moved = np.abs(sigmoid(got[0]) - sigmoid(logits))
    figures: dict[str, Any] = {
        "pairs": len(moved),
        "mean_probability_change": round(float(moved.mean()), 4),
        "max_probability_change": round(float(moved.max()), 4),
    }
    if spans:
        inside = _span_tokens(feed)
        same = [
            np.where(inside, g, -np.inf).argmax(1) == np.where(inside, t, -np.inf).argmax(1)
            for g, t in zip(got[1:], spans, strict=True)
        ]
        figures["span_agreement"] = round(float(np.logical_and(*same).mean()), 4)
    if figures["mean_probability_change"] > INT8_TOLERANCE:
        raise ModelError(
            f"the int8 model moves the answer probabilities of {len(moved)} training pairs by "
            f"{moved.mean():.3f} on average (at most {INT8_TOLERANCE}): not published, the "
            "checkpoint is kept"
        )
    return figures


def import_weights(net: Any, folder: Path) -> None:
    """Load a published model's weights into ``net`` (the network ``export`` was given): its int8
    model.onnx dequantised (``(q - zero_point) * scale``, the values int8 inference multiplies
    with), the fused attention's query/key/value matrices split apart again. The graph is read by
    its structure, not by the exporter's generated names: the n-th attention node is layer n; the
    dense matrices come per layer in the order attention output, intermediate, output, then the
    two heads (told apart by their width). ModelError when the graph does not fit the network."""
    import onnx
    import torch
    from onnx import numpy_helper

    graph = onnx.load(str(folder / MODEL_FILE)).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}

    producer = {o: n for n in graph.node for o in n.output}

    def unsmoothed(node: Any, weight: np.ndarray) -> np.ndarray:
        """The weight of a matrix ``smooth`` scaled, scaled back (its input's Mul undone)."""
        quantised = producer.get(node.input[0])
        mul = producer.get(quantised.input[0]) if quantised is not None else None
        if mul is None or mul.op_type != "Mul" or not mul.input[1].endswith(SMOOTH_SUFFIX):
            return weight
        restored: np.ndarray = weight * init[mul.input[1]][:, None]
        return restored

    def value(name: str) -> np.ndarray:
        stored: np.ndarray = init[name]
        if not name.endswith("_quantized"):
            return stored
        base = name.removesuffix("_quantized")
        zero = init[f"{base}_zero_point"].astype(np.float32)
        weights: np.ndarray = (stored.astype(np.float32) - zero) * init[f"{base}_scale"]
        return weights

    state: dict[str, np.ndarray] = {
        n: a for n, a in init.items() if n.startswith(("encoder.", "answers.", "span."))
    }
    for name in [n for n in state if n.endswith("_quantized")]:
        state[name.removesuffix("_quantized")] = value(name)
    attention = [n for n in graph.node if n.op_type == "QAttention"]
    for i, node in enumerate(attention):
        weight, bias = value(node.input[1]), init[node.input[2]]
        width = weight.shape[1] // 3
        for j, part in enumerate(("query", "key", "value")):
            prefix = f"encoder.encoder.layer.{i}.attention.self.{part}"
            state[f"{prefix}.weight"] = weight[:, j * width : (j + 1) * width].T
            state[f"{prefix}.bias"] = bias[j * width : (j + 1) * width]
    dense = [unsmoothed(n, value(n.input[1])) for n in graph.node if n.op_type == "MatMulInteger"]
    per_layer = ("attention.output.dense", "intermediate.dense", "output.dense")
    names = [f"encoder.encoder.layer.{i}.{m}" for i in range(len(attention)) for m in per_layer]
    heads = {w.shape[1]: w for w in dense[len(names) :]}
    if len(dense) != len(names) + 2 or set(heads) != {1, 2}:
        raise ModelError(f"{folder / MODEL_FILE} is not a reader graph this network can take")
    for name, weight in [
        *zip(names, dense[: len(names)], strict=True),
        ("answers", heads[1]),
        ("span", heads[2]),
    ]:
        state[f"{name}.weight"] = weight.T
    wanted = net.state_dict()
    tensors = {n: torch.tensor(a) for n, a in state.items() if n in wanted}
    missing = [n for n in wanted if n not in tensors and not n.startswith("encoder.pooler.")]
    wrong = [n for n, t in tensors.items() if t.shape != wanted[n].shape]
    if missing or wrong:
        raise ModelError(f"{folder / MODEL_FILE} lacks or misshapes {(missing + wrong)[:3]}")
    net.load_state_dict(tensors, strict=False)


# ---------------------------------------------------------------- held-out figures


def evaluate(reader: Reader, items: Sequence[Item], held: dict[str, str]) -> dict[str, Any]:
    """The reader alone on the held-out articles, per split: each question against every
    sentence of its paragraph. top1: the best sentence holds the answer (answerable questions);
    auc: the best sentence's probability separates answerable from unanswerable questions;
    span_em/f1: the short answer in the best sentence, when that sentence is right;
    window_auc: as auc, read from the three-sentence passage around the best sentence;
    null_auc: as auc, from the span head: the highest ``null_margin`` over the paragraph's
    sentences (meaningful for a model trained with --null-span)."""
    from qa.evaluate.metrics import auc, short_scores

    figures: dict[str, Any] = {}
    groups: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        if it.article in held:
            groups[held[it.article]].append(it)
    for split, group in sorted(groups.items()):
        top, best_pos, best_neg, ems, f1s = [], [], [], [], []
        win_pos: list[float] = []
        win_neg: list[float] = []
        null_pos: list[float] = []
        null_neg: list[float] = []
        for it in group:
            texts = [it.context[a:b] for a, b in it.sentences]
            readings = reader.read(it.question, texts)
            k = int(np.argmax([r.probability for r in readings]))
            best = readings[k].probability
            w0, w1 = window(it.sentences, k)
            around = reader.read(it.question, [it.context[w0:w1]])[0].probability
            (win_pos if it.answerable else win_neg).append(around)
            margin = max(r.null_margin for r in readings)
            (null_pos if it.answerable else null_neg).append(margin)
            if not it.answerable:
                best_neg.append(best)
                continue
            best_pos.append(best)
            s0, s1 = it.sentences[k]
            right = any(a0 < s1 and s0 < a1 for a0, a1 in it.answers)
            top.append(float(right))
            span = readings[k].span
            if right and span is not None and it.dataset != "selqa":
                gold = [it.context[a0:a1] for a0, a1 in it.answers]
                em, f1 = short_scores(texts[k][span[0] : span[1]], gold)
                ems.append(em)
                f1s.append(f1)
        figures[split] = {
            "questions": len(group),
            "answerable": len(best_pos),
            "top1": round(float(np.mean(top)), 4) if top else None,
            "auc": _round(auc(best_pos, best_neg)),
            "window_auc": _round(auc(win_pos, win_neg)),
            "null_auc": _round(auc(null_pos, null_neg)),
            "span_em": round(float(np.mean(ems)), 4) if ems else None,
            "span_f1": round(float(np.mean(f1s)), 4) if f1s else None,
        }
    return figures


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def verify_card(folder: Path) -> dict[str, Any]:
    """The card of a shipped model, checked against its files."""
    try:
        card: dict[str, Any] = json.loads((folder / CARD_FILE).read_text())
        files = dict(card["files"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{folder / CARD_FILE} is not a readable model card ({exc})") from exc
    for name, digest in files.items():
        if not (folder / name).is_file() or sha256_file(folder / name) != digest:
            raise ModelError(f"{folder / name} does not match its model card")
    return card
