"""`qa train-reader`: train the reading model, export it to ONNX and write its model card.

Plain torch (the model has two heads, which sentence-transformers' CrossEncoder does not train):
an encoder chosen with ``--base`` (all-MiniLM-L6-v2 or all-mpnet-base-v2, ``qa.train.base``),
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
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.reader import (
    CARD_FILE,
    MAX_TOKENS,
    MODEL_FILE,
    TOKENIZER_FILE,
    Reader,
    configure,
)
from qa.core.errors import ModelError
from qa.index.store import sha256_file
from qa.train.base import BASES
from qa.train.checkpoints import load_init, save_checkpoint
from qa.train.data import checksums, examples, held_out, load_items
from qa.train.export import evaluate, export
from qa.train.network import batch_loss, batches, encode_examples, network, question_batches

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
    base: str = "minilm"  # the encoder trained from: a key of qa.train.base.BASES
    # keep only this many of the base's layers, evenly spaced (0: all): a shallower student
    layers: int = 0
    # pairs cut to this many tokens (the card records it; the Reader cuts the same way)
    max_tokens: int = MAX_TOKENS
    # the encoder's embeddings (word, position) stay as the base has them: no gradient, no
    # optimiser state for the largest matrix, a faster step
    freeze_embeddings: bool = False


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
    tok = configure(Tokenizer.from_str(tok_json), settings.max_tokens)
    encoded = encode_examples(tok, pairs, settings.null_span)
    rng = random.Random(settings.seed)
    plan = (question_batches if settings.listwise else batches)(encoded, settings.batch_size, rng)

    net = network(src, settings.null_span, settings.layers)
    earlier_stages: list[dict[str, Any]] = []
    if settings.init:
        earlier_stages = load_init(net, Path(settings.init))
        progress(f"initialised from {settings.init} ({len(earlier_stages)} earlier stage(s))")
    if settings.freeze_embeddings:
        net.encoder.embeddings.requires_grad_(False)
    net.to(device)
    no_decay = ("bias", "LayerNorm.weight")
    trained = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    groups = [
        {
            "params": [p for n, p in trained if not n.endswith(no_decay)],
            "weight_decay": settings.weight_decay,
        },
        {"params": [p for n, p in trained if n.endswith(no_decay)], "weight_decay": 0.0},
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
            loss = batch_loss(net, plan[step], settings.span_weight, settings.listwise, device)
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
                save_checkpoint(
                    checkpoint, net, optimizer, scheduler, step, spent(), earlier_stages
                )
                last_save = now
    # a resume that only exports adds no training time
    minutes = spent() if seen else earlier
    save_checkpoint(checkpoint, net, optimizer, scheduler, step, minutes, earlier_stages)
    net.to("cpu").eval()

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        sample = [(p.question, p.sentence) for p in pairs[:: max(1, len(pairs) // 128)]]
        agreement = export(net, tmp, tok, tok_json, sample[:128], base.smooth_alpha)
        progress(f"int8 against torch: {json.dumps(agreement)}")
        provisional = {
            "files": {n: sha256_file(tmp / n) for n in ("model.fp32.onnx", MODEL_FILE)},
            "max_tokens": settings.max_tokens,
        }
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
        card["int8_agreement"] = agreement
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
        "precision": "uint8 weights, per channel (onnxruntime dynamic quantisation after its "
        "transformer optimiser)"
        + (
            f"; the feed-forward output matrices smoothed first (SmoothQuant, alpha "
            f"{base.smooth_alpha}, calibrated on the int8 check's training pairs)"
            if base.smooth_alpha is not None
            else ""
        ),
        "inputs": f"[CLS] question [SEP] sentence [SEP], at most {settings.max_tokens} tokens",
        "max_tokens": settings.max_tokens,
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
