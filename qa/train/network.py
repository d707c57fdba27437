"""The reading model's network and what it reads: training pairs tokenised exactly as the Reader
does (`encode_examples`), batched by length or by question, the two-headed network (an encoder,
an "answers" head on the first token and a start/end span head over the sentence's tokens) and
its losses. torch is imported inside the functions only."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.answer.reader import batch_arrays, sentence_tokens
from qa.core.errors import ModelError
from qa.train.data import Example

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


def keep_layers(total: int, keep: int) -> list[int]:
    """The encoder layers a ``keep``-layer student takes from a ``total``-layer encoder: evenly
    spaced, the top one always kept (12 → 6: layers 1, 3, 5, 7, 9, 11, counted from 0)."""
    if not 0 < keep <= total:
        raise ModelError(f"cannot keep {keep} of the base's {total} layers")
    return [round((i + 1) * total / keep) - 1 for i in range(keep)]


def network(folder: Path, null: bool = False, layers: int = 0) -> Any:
    """The two-headed reader on the encoder in ``folder``; ``layers`` > 0 keeps only that many
    of its layers (``keep_layers``): a shallower student, cheaper to train and to serve."""
    import inspect

    import torch
    from transformers import AutoModel

    class ReaderNet(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(folder))
            if layers:
                stack = self.encoder.encoder.layer
                kept = keep_layers(len(stack), layers)
                self.encoder.encoder.layer = torch.nn.ModuleList(stack[i] for i in kept)
                self.encoder.config.num_hidden_layers = layers
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


def tensors(batch: Sequence[Encoded], device: str = "cpu") -> tuple[Any, ...]:
    import torch

    arrays = batch_arrays(batch)
    ids, mask, types = (
        torch.from_numpy(arrays[k]) for k in ("input_ids", "attention_mask", "token_type_ids")
    )
    labels = torch.tensor([float(e.label) for e in batch])
    starts = torch.tensor([e.start for e in batch])
    ends = torch.tensor([e.end for e in batch])
    return tuple(t.to(device) for t in (ids, mask, types, labels, starts, ends))


def listwise_loss(logit: Any, batch: Sequence[Encoded]) -> Any:
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


def batch_loss(
    net: Any,
    batch: Sequence[Encoded],
    span_weight: float,
    listwise: float = 0.0,
    device: str = "cpu",
) -> Any:
    import torch
    import torch.nn.functional as F

    ids, mask, types, labels, starts, ends = tensors(batch, device)
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
        logit, start, end = net(ids, mask, types)
    logit, start, end = logit.float(), start.float(), end.float()
    loss = F.binary_cross_entropy_with_logits(logit, labels)
    if listwise:
        loss = loss + listwise * listwise_loss(logit, batch)
    has = starts >= 0
    if bool(has.any()):
        span = F.cross_entropy(start[has], starts[has]) + F.cross_entropy(end[has], ends[has])
        loss = loss + span_weight * span / 2
    return loss if isinstance(loss, torch.Tensor) else torch.tensor(loss)
