"""How fast one training step of the reading model runs, by variant: run by hand, not in CI.

Forward, backward and AdamW over the same training pairs in the same batches of 16 for each
variant, so the variants differ only in what they change: the pair length cut (``128``, ``64``),
frozen embeddings (``-emb``) and frozen lowest layers (``-emb-4``: the embeddings and the 4
lowest layers). First it prints how long the pairs are at each cut. Needs the training extra
(``pip install -e '.[train]'``).

    python -m eval.step_speed                       # mpnet: 128 64 128-emb 128-emb-4
    python -m eval.step_speed --base minilm 128 64
"""

from __future__ import annotations

import argparse
import os
import random
import time
from typing import Any

import numpy as np

from qa.answer.reader import configure
from qa.train.base import BASES
from qa.train.data import DEFAULT_DATA, examples, held_out, load_items
from qa.train.network import batch_loss, encode_examples, network

BATCH = 16


def _tokenizer(base: Any, folder: Any, max_tokens: int) -> Any:
    from tokenizers import Tokenizer

    return configure(Tokenizer.from_str(base.tokenizer_json(folder)), max_tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=["128", "64", "128-emb", "128-emb-4"])
    parser.add_argument("--base", default="mpnet", choices=sorted(BASES))
    parser.add_argument("--batches", type=int, default=28, help="timed batches (2 more warm up)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    base = BASES[args.base]
    folder = base.folder()
    items = load_items(DEFAULT_DATA)
    held = held_out(items)
    pairs = examples([i for i in items if i.article not in held], 13, 3, 3)
    random.Random(0).shuffle(pairs)
    sample = pairs[:4000]
    for cut in (128, 64):
        enc = encode_examples(_tokenizer(base, folder, cut), sample, True)
        n = np.array([len(e.ids) for e in enc])
        print(
            f"cut at {cut}: mean {n.mean():.1f} tokens, median {np.median(n):.0f}, "
            f"90th percentile {np.percentile(n, 90):.0f}, longer than 64: {(n > 64).mean():.3f}; "
            f"answer spans kept {sum(e.start >= 0 for e in enc)}"
        )
    size = (args.batches + 2) * BATCH
    # one plan of pair indices for every variant: batches of similar length, in random order
    lengths = [len(e.ids) for e in encode_examples(_tokenizer(base, folder, 128), sample, True)]
    order = list(range(len(sample) // 2))
    random.Random(1).shuffle(order)
    chosen = sorted(order[:size], key=lengths.__getitem__)
    plan = [chosen[k : k + BATCH] for k in range(0, size, BATCH)]
    random.Random(2).shuffle(plan)
    for variant in args.variants:
        cut, *frozen = variant.split("-")
        enc = encode_examples(_tokenizer(base, folder, int(cut)), sample, True)
        torch.manual_seed(0)
        net = network(folder, null=True)
        if "emb" in frozen:
            net.encoder.embeddings.requires_grad_(False)
        lowest = int(frozen[-1]) if frozen and frozen[-1].isdigit() else 0
        for layer in net.encoder.encoder.layer[:lowest]:
            layer.requires_grad_(False)
        optimizer = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=3e-5)
        net.train()
        seen, started = 0, 0.0
        for k, rows in enumerate(plan):
            if k == 2:
                seen, started = 0, time.perf_counter()
            batch_loss(net, [enc[i] for i in rows], 0.5).backward()
            optimizer.step()
            optimizer.zero_grad()
            seen += len(rows)
        print(f"{variant}: {seen / (time.perf_counter() - started):.2f} pairs/s", flush=True)


if __name__ == "__main__":
    main()
