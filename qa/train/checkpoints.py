"""Checkpoints of a training run (written atomically every few minutes, for ``--resume``) and
the earlier weights a run starts from (``--init``: a checkpoint or a published model folder),
with the training records of the stages that produced them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from qa.answer.reader import CARD_FILE, MODEL_FILE
from qa.core.errors import ModelError
from qa.index.store import sha256_file
from qa.train.export import import_weights, verify_card


def save_checkpoint(
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


def load_init(net: Any, path: Path) -> list[dict[str, Any]]:
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
