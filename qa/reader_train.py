"""`qa train-reader`: train the reading model, export it to ONNX and write its model card.

Plain torch (the model has two heads, which sentence-transformers' CrossEncoder does not train):
an encoder chosen with ``--base`` (all-MiniLM-L6-v2 or all-mpnet-base-v2, ``qa.reader_base``),
a linear "answers" head on the first token (binary cross-entropy) and a linear start/end head
over the sentence's tokens (cross-entropy, only on pairs whose answer span is known). Seeded;
batches of pairs of similar length; linear warm-up and decay; a progress bar and a log line a
minute; a checkpoint every few minutes so a stopped run can be resumed (``--resume``) or
exported. On a CUDA GPU, when one is present, the same code trains in bfloat16 autocast (the card
says where it ran).

torch is imported here only; nothing on the query path imports this module.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import ModelError
from qa.reader import (
    CARD_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    Reader,
    batch_arrays,
    configure,
    sentence_tokens,
)
from qa.reader_base import BASES
from qa.reader_data import Example, checksums, examples, held_out, load_items
from qa.reader_export import evaluate, export, import_weights, verify_card
from qa.store import sha256_file

log = logging.getLogger("qa")


@dataclass(frozen=True)
class TrainSettings:
    seed: int = 13
    max_pairs: int = 125_000  # training pairs seen (one pass over a sample of this size)
    minutes: float = 80.0  # stop (and export) when this much time has passed
    batch_size: int = 16
    lr: float = 4e-5
    warmup: float = 0.06
    weight_decay: float = 0.01
    span_weight: float = 0.5
    paragraph_negatives: int = 3
    hard_negatives: int = 2
    selqa_repeats: int = 1  # SelQA's (paraphrased) questions seen this many times
    # weight of a listwise loss beside the per-pair one: each question's sentences compete in
    # one softmax with a fixed "no answer" logit of 0 (batches then hold whole questions)
    listwise: float = 0.0
    # share of the questions also read with three-sentence passages around a sentence (the
    # answerability check around the chosen sentence)
    windows: float = 0.0
    # the span head also learns "no answer here": the [CLS] position is the target span of a
    # negative pair, so (best span's score − [CLS]'s) is a second answerability signal
    null_span: bool = False
    # share of the answerable questions also read with their answer erased (a negative: the
    # question's names all there, the asked fact gone) beside a control with other words erased
    erased: float = 0.0
    # SQuAD 2.0's unanswerable questions seen this many times (beside erased pairs, so the
    # adversarial kind of "not answered here" is not diluted)
    unanswerable_repeats: int = 1
    checkpoint_minutes: float = 5.0
    # continue from earlier weights (a run's checkpoint file, or a published model folder) with a
    # fresh schedule and freshly drawn negatives: a further epoch; "" trains from the base
    init: str = ""
    base: str = "minilm"  # the encoder trained from: a key of qa.reader_base.BASES


# ---------------------------------------------------------------- encoding


@dataclass(frozen=True, slots=True)
class Encoded:
    ids: list[int]
    type_ids: list[int]
    label: int
    start: int  # token index of the answer's first token, or -1
    end: int  # … of its last token
    group: str = ""  # the question: with the listwise loss its pairs share a batch


def encode_examples(tok: Any, batch: Sequence[Example], null: bool = False) -> list[Encoded]:
    """Tokenise pairs exactly as the Reader does and turn character spans into token spans
    (dropped when truncation cut the answer); with ``null`` a negative's span is [CLS] (0)."""
    encodings = tok.encode_batch([(e.question, e.sentence) for e in batch])
    out = []
    for ex, enc in zip(batch, encodings, strict=True):
        start = end = -1
        if ex.span[0] >= 0:
            a0, a1 = ex.span
            toks = sentence_tokens(enc)
            inside = [t for t in toks if enc.offsets[t][1] > a0 and enc.offsets[t][0] < a1]
            if inside and enc.offsets[inside[-1]][1] >= a1:
                start, end = inside[0], inside[-1]
        elif null and not ex.label:
            start = end = 0
        out.append(Encoded(list(enc.ids), list(enc.type_ids), ex.label, start, end, ex.qid))
    return out


def batches(encoded: Sequence[Encoded], size: int, rng: random.Random) -> list[list[Encoded]]:
    """Batches of similar length (little padding) in random order."""
    order = list(range(len(encoded)))
    rng.shuffle(order)
    out: list[list[Encoded]] = []
    pool = size * 50
    for lo in range(0, len(order), pool):
        chunk = sorted(order[lo : lo + pool], key=lambda i: len(encoded[i].ids))
        out += [[encoded[i] for i in chunk[k : k + size]] for k in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def question_batches(
    encoded: Sequence[Encoded], size: int, rng: random.Random
) -> list[list[Encoded]]:
    """Batches of whole questions (at most ``size`` pairs of one question, answering ones
    first; as many questions as fit), questions of similar length together, in random order."""
    groups: dict[str, list[Encoded]] = {}
    for e in encoded:
        groups.setdefault(e.group, []).append(e)
    keys = list(groups)
    rng.shuffle(keys)
    out: list[list[Encoded]] = []
    pool = size * 12
    for lo in range(0, len(keys), pool):
        chunk = sorted(keys[lo : lo + pool], key=lambda k: max(len(e.ids) for e in groups[k]))
        batch: list[Encoded] = []
        for k in chunk:
            pairs = sorted(groups[k], key=lambda e: -e.label)[:size]
            if batch and len(batch) + len(pairs) > size:
                out.append(batch)
                batch = []
            batch += pairs
        if batch:
            out.append(batch)
    rng.shuffle(out)
    return out


# ---------------------------------------------------------------- the model


def _network(folder: Path, null: bool = False) -> Any:
    import inspect

    import torch
    from transformers import AutoModel

    class ReaderNet(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(folder))
            hidden = self.encoder.config.hidden_size
            self.answers = torch.nn.Linear(hidden, 1)
            self.span = torch.nn.Linear(hidden, 2)
            # BERT reads the segment ids; MPNet has no segment embedding (the ids still mark
            # the sentence's tokens for the span head)
            self.typed = "token_type_ids" in inspect.signature(self.encoder.forward).parameters

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            extra = {"token_type_ids": token_type_ids} if self.typed else {}
            h = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, **extra
            ).last_hidden_state
            logit = self.answers(h[:, 0]).squeeze(-1)
            span = self.span(h)
            # positions outside the sentence can never start or end an answer
            outside = (token_type_ids == 0) | (attention_mask == 0)
            if null:  # … except [CLS], the "no answer here" span
                outside[:, 0] = False
            start = span[..., 0].masked_fill(outside, -1e4)
            end = span[..., 1].masked_fill(outside, -1e4)
            return logit, start, end

    return ReaderNet()


def _tensors(batch: Sequence[Encoded], device: str = "cpu") -> tuple[Any, ...]:
    import torch

    arrays = batch_arrays(batch)
    ids, mask, types = (
        torch.from_numpy(arrays[k]) for k in ("input_ids", "attention_mask", "token_type_ids")
    )
    labels = torch.tensor([float(e.label) for e in batch])
    starts = torch.tensor([e.start for e in batch])
    ends = torch.tensor([e.end for e in batch])
    return tuple(t.to(device) for t in (ids, mask, types, labels, starts, ends))


def _listwise(logit: Any, batch: Sequence[Encoded]) -> Any:
    """Mean over the batch's questions of −log P(the answering sentences, or "no answer" for
    an unanswerable question) under a softmax over the fixed no-answer logit 0 and the
    question's sentence logits."""
    import torch

    rows: dict[str, list[int]] = {}
    for i, e in enumerate(batch):
        rows.setdefault(e.group, []).append(i)
    terms = []
    for idx in rows.values():
        z = torch.cat([logit.new_zeros(1), logit[idx]])
        target = [j + 1 for j, i in enumerate(idx) if batch[i].label] or [0]
        terms.append(torch.logsumexp(z, 0) - torch.logsumexp(z[target], 0))
    return torch.stack(terms).mean()


def _loss(
    net: Any,
    batch: Sequence[Encoded],
    span_weight: float,
    listwise: float = 0.0,
    device: str = "cpu",
) -> Any:
    import torch
    import torch.nn.functional as F

    ids, mask, types, labels, starts, ends = _tensors(batch, device)
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
        logit, start, end = net(ids, mask, types)
    logit, start, end = logit.float(), start.float(), end.float()
    loss = F.binary_cross_entropy_with_logits(logit, labels)
    if listwise:
        loss = loss + listwise * _listwise(logit, batch)
    has = starts >= 0
    if bool(has.any()):
        span = F.cross_entropy(start[has], starts[has]) + F.cross_entropy(end[has], ends[has])
        loss = loss + span_weight * span / 2
    return loss if isinstance(loss, torch.Tensor) else torch.tensor(loss)


# ---------------------------------------------------------------- training


def train(
    data: Path,
    out: Path,
    settings: TrainSettings,
    resume: bool = False,
    progress: Callable[[str], None] = log.info,
) -> dict[str, Any]:
    """Train, export and evaluate; publish ``out`` (model.onnx, tokenizer, card.json) only when
    everything succeeded. Returns the card."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from tqdm import tqdm

    if settings.base not in BASES:
        raise ModelError(f"no base {settings.base!r}: choose one of {', '.join(BASES)}")
    base = BASES[settings.base]
    started = time.monotonic()
    random.seed(settings.seed)
    np.random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    src = base.folder()

    items = load_items(data)
    held = held_out(items)
    train_items = [i for i in items if i.article not in held]
    pairs = examples(
        train_items,
        settings.seed,
        settings.paragraph_negatives,
        settings.hard_negatives,
        settings.selqa_repeats,
        settings.windows,
        settings.erased,
        settings.unanswerable_repeats,
    )[: settings.max_pairs]
    progress(
        f"{len(items)} questions, {len(held)} held-out articles; "
        f"{len(pairs)} training pairs ({sum(p.label for p in pairs)} positive)"
    )
    from tokenizers import Tokenizer

    tok_json = base.tokenizer_json(src)
    tok = configure(Tokenizer.from_str(tok_json))
    encoded = encode_examples(tok, pairs, settings.null_span)
    rng = random.Random(settings.seed)
    plan = (question_batches if settings.listwise else batches)(encoded, settings.batch_size, rng)

    net = _network(src, settings.null_span)
    earlier_stages: list[dict[str, Any]] = []
    if settings.init:
        earlier_stages = _load_init(net, Path(settings.init))
        progress(f"initialised from {settings.init} ({len(earlier_stages)} earlier stage(s))")
    net.to(device)
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {
            "params": [p for n, p in net.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": settings.weight_decay,
        },
        {
            "params": [p for n, p in net.named_parameters() if n.endswith(no_decay)],
            "weight_decay": 0.0,
        },
    ]
    optimizer = torch.optim.AdamW(groups, lr=settings.lr)
    total = len(plan)
    warm = max(1, int(settings.warmup * total))

    def rate(step: int) -> float:
        return step / warm if step < warm else max(0.0, (total - step) / max(1, total - warm))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    out.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = out.parent / f".{out.name}.checkpoint.pt"
    step = 0
    earlier = 0.0  # training minutes of the runs this one resumes
    if resume and checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False, map_location=device)
        net.load_state_dict(state["net"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step = state["step"]
        earlier = float(state.get("minutes", 0.0))
        progress(f"resumed at step {step} of {total} after {earlier:.1f} min")

    net.train()
    last_log = last_save = time.monotonic()
    seen = 0
    running = 0.0
    deadline = started + (settings.minutes - earlier) * 60

    def spent() -> float:
        return earlier + (time.monotonic() - started) / 60

    with tqdm(total=total, initial=step, desc="training", unit="batch", mininterval=2.0) as bar:
        while step < total:
            if time.monotonic() > deadline:
                progress(f"time budget reached at step {step} of {total}")
                break
            loss = _loss(net, plan[step], settings.span_weight, settings.listwise, device)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            value = float(loss.detach())
            running = 0.98 * running + 0.02 * value if step else value
            seen += len(plan[step])
            step += 1
            bar.update(1)
            now = time.monotonic()
            if now - last_log > 60:
                progress(
                    f"step {step}/{total} loss {running:.4f} "
                    f"{seen / (now - started):.1f} pairs/s elapsed {(now - started) / 60:.1f} min"
                )
                last_log = now
            if now - last_save > settings.checkpoint_minutes * 60:
                _save_checkpoint(
                    checkpoint, net, optimizer, scheduler, step, spent(), earlier_stages
                )
                last_save = now
    # a resume that only exports adds no training time
    minutes = spent() if seen else earlier
    _save_checkpoint(checkpoint, net, optimizer, scheduler, step, minutes, earlier_stages)
    net.to("cpu").eval()

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        export(net, tmp, tok, tok_json)
        provisional = {"files": {n: sha256_file(tmp / n) for n in ("model.fp32.onnx", MODEL_FILE)}}
        (tmp / CARD_FILE).write_text(json.dumps(provisional))
        figures = {
            variant: evaluate(Reader(tmp, model=name), items, held)
            for variant, name in (("fp32", "model.fp32.onnx"), ("int8", MODEL_FILE))
        }
        progress(f"held-out: {json.dumps(figures)}")
        (tmp / "model.fp32.onnx").unlink()
        where = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
        card = _card(tmp, data, settings, step, total, minutes, len(pairs), held, figures)
        card["base_sha256"] = sha256_file(src / "model.safetensors")
        card["training"].update(
            earlier_stages=earlier_stages, device=f"{where}, {os.cpu_count()} cores"
        )
        (tmp / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return card


def _save_checkpoint(
    path: Path,
    net: Any,
    optimizer: Any,
    scheduler: Any,
    step: int,
    minutes: float,
    earlier_stages: list[dict[str, Any]],
) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    state = {
        "net": net.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "step": step,
        "minutes": minutes,
        "stages": earlier_stages,
    }
    torch.save(state, tmp)
    os.replace(tmp, path)


def _load_init(net: Any, path: Path) -> list[dict[str, Any]]:
    """Load earlier weights: a run's checkpoint (``.NAME.checkpoint.pt``) or a published model
    folder (its int8 weights, dequantised: ``import_weights``). Return the training records of
    the stages that produced them (the checkpoint's own, or, for a checkpoint written before they
    were recorded, the training section of the card that run published in ``NAME/`` beside it;
    for a folder, its card's)."""
    import torch

    if path.is_dir():
        return _load_published(net, path)
    if not path.is_file():
        raise ModelError(f"--init checkpoint {path} does not exist")
    state = torch.load(path, weights_only=False)
    net.load_state_dict(state["net"])
    stages: list[dict[str, Any]] = list(state.get("stages") or [])
    record: dict[str, Any] = {
        "checkpoint": path.name,
        "sha256": sha256_file(path),
        "steps": state.get("step"),
        "minutes": state.get("minutes"),
    }
    card = path.parent / path.name.removeprefix(".").removesuffix(".checkpoint.pt") / CARD_FILE
    if not stages and card.is_file():
        record["card_training"] = json.loads(card.read_text()).get("training")
    return [*stages, record]


def _load_published(net: Any, folder: Path) -> list[dict[str, Any]]:
    """A published model's weights (checked against its card) and its training records."""
    published = verify_card(folder)
    import_weights(net, folder)
    training = dict(published.get("training") or {})
    stages = list(training.pop("earlier_stages", []))
    record = {
        "model": MODEL_FILE,
        "sha256": published["files"][MODEL_FILE],
        "steps": training.get("steps"),
        "minutes": training.get("minutes"),
        "card_training": training,
    }
    return [*stages, record]


def _card(
    folder: Path,
    data: Path,
    settings: TrainSettings,
    steps: int,
    planned: int,
    minutes: float,
    pairs: int,
    held: dict[str, str],
    figures: dict[str, Any],
) -> dict[str, Any]:
    base = BASES[settings.base]
    return {
        "name": f"qa-cite reader ({base.short} cross-encoder, answer + span heads)",
        "base_model": base.title,
        "files": {
            n: sha256_file(folder / n)
            for n in (MODEL_FILE, TOKENIZER_FILE)
            if (folder / n).is_file()
        },
        "precision": "int8 weights, per channel (onnxruntime dynamic quantisation after its "
        "transformer optimiser)",
        "inputs": "[CLS] question [SEP] sentence [SEP], at most 128 tokens",
        "outputs": {
            "logit": "answers-the-question logit (sigmoid: probability)",
            "start": "short-answer start logits per token"
            + ("; at [CLS]: no answer in this sentence" if settings.null_span else ""),
            "end": "short-answer end logits per token",
        },
        "training": {
            **asdict(settings),
            "steps": steps,
            "planned_steps": planned,
            "pairs": pairs,
            "minutes": round(minutes, 1),
            "data": {"folder": data.name, "sha256": checksums(data)},
        },
        "held_out_articles": held,
        "held_out_figures": figures,
        "credits": [
            "SQuAD 1.1 and 2.0 (Rajpurkar et al., 2016 and 2018), CC BY-SA 4.0",
            "SelQA (Jurczyk, Zhai and Choi, 2016), Apache-2.0, over Wikipedia text (CC BY-SA)",
            base.credit,
        ],
    }
