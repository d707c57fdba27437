"""Training data for the reading model: public QA data → (question, sentence) examples.

Input only to `qa train-reader`; nothing here runs on the query path and none of the data ships.
Each question is read with its paragraph, which is cut into sentences by the same segmenter the
corpus pipeline uses (`qa.ingest.corpus.split_sentences`), so the model sees sentences cut the way
the service cuts them. For a question:

* the sentence that holds the answer is a positive, with the answer's character span in it;
* the other sentences of its paragraph are negatives;
* the sentences of other paragraphs of the same article that BM25 ranks highest for the question
  are hard negatives (what retrieval will put in front of the reader);
* every sentence of an unanswerable question's paragraph is a negative;
* optionally (``erased``), counterfactual pairs: the answering sentence with its answer replaced
  by a placeholder of the asked kind ("someone", "several"…) is a negative — every name of the
  question still there, the asked fact gone — and the same sentence with other words replaced
  by the same placeholder stays a positive, so the placeholder itself tells nothing.

Articles, not questions, are held out (``held_out``), so the reader's test never shares a
paragraph or an article with its training data.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.answer.features import question_type
from qa.core.errors import QAError
from qa.core.text import WORD, normalize, terms
from qa.core.types import Paragraph
from qa.ingest.corpus import split_sentences

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "qa-train"
SQUAD_FILES = (
    "squad2-dev-27articles.json",
    "squad2-train-first10articles.json",
    "squad1.1-dev-13articles.json",
)
EXTRA_FILE = "squad-train-extra.jsonl"
SELQA_FILES = ("selqa-ass-dev.json", "selqa-ass-test.json")
# The product-level held-out corpus: articles of the SQuAD 2.0 file (they carry the adversarial
# unanswerable questions), chosen by the hash of their titles, never by their content.
HELD_OUT_SQUAD2 = 6
HELD_OUT_SELQA_SHARE = 0.1


class DataError(QAError):
    """The training data folder is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Item:
    """One question over one paragraph, the paragraph cut into sentences."""

    dataset: str
    article: str  # the unit that is held out
    qid: str
    question: str
    context: str
    sentences: tuple[tuple[int, int], ...]  # [start, end) of each sentence in ``context``
    answers: tuple[tuple[int, int], ...]  # [start, end) of each gold answer in ``context``
    answerable: bool
    paragraph: int  # position of the paragraph in its article


@dataclass(frozen=True, slots=True)
class Example:
    """A (question, sentence) pair: label 1 when the sentence answers; the answer's character
    span inside the sentence when known, else (-1, -1)."""

    question: str
    sentence: str
    label: int
    span: tuple[int, int]
    article: str
    qid: str


def _sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def sentence_spans(context: str) -> tuple[tuple[int, int], ...]:
    """The service's own sentence cut of a paragraph, as offsets into it."""
    para = Paragraph(source="-", number=1, start=0, end=len(context), text=context)
    return tuple((s.start, s.end) for s in split_sentences(para))


def _squad_items(dataset: str, data: list[dict[str, Any]]) -> Iterator[Item]:
    for article in data:
        title = str(article["title"])
        for pi, para in enumerate(article["paragraphs"]):
            context = para["context"]
            spans = sentence_spans(context)
            for qa in para["qas"]:
                answers = tuple(
                    (a["answer_start"], a["answer_start"] + len(a["text"]))
                    for a in qa.get("answers", [])
                )
                impossible = bool(qa.get("is_impossible", False)) or not answers
                yield Item(
                    dataset,
                    f"squad:{title}",
                    qa["id"],
                    qa["question"],
                    context,
                    spans,
                    () if impossible else answers,
                    not impossible,
                    pi,
                )


def _extra_items(path: Path) -> Iterator[Item]:
    paragraphs: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        context = r["context"]
        title = r.get("title") or f"untitled-{_sha(context)[:12]}"
        key = f"squad:{title}"
        pi = paragraphs.setdefault(context, len(paragraphs))
        answers = tuple(
            (a["answer_start"], a["answer_start"] + len(a["text"])) for a in r.get("answers", [])
        )
        impossible = bool(r.get("is_impossible")) or not answers
        yield Item(
            "squad-extra",
            key,
            r["id"],
            r["question"],
            context,
            sentence_spans(context),
            () if impossible else answers,
            not impossible,
            pi,
        )


def _selqa_items(dataset: str, rows: list[dict[str, Any]]) -> Iterator[Item]:
    """SelQA gives a section's sentences and the indices of the answering ones; the section is
    re-joined and re-cut by our segmenter, and a sentence of ours answers when it overlaps an
    answering candidate."""
    for i, r in enumerate(rows):
        cands: list[str] = list(r["candidates"])
        context, bounds, pos = "", [], 0
        for c in cands:
            if context:
                context += " "
                pos += 1
            bounds.append((pos, pos + len(c)))
            context += c
            pos += len(c)
        answers = tuple(bounds[j] for j in r["answers"])
        yield Item(
            dataset,
            f"selqa:{r['article']}",
            f"{dataset}-{i}",
            str(r["question"]),
            context,
            sentence_spans(context),
            answers,
            bool(answers),
            int(_sha(f"{r['article']}/{r['section']}")[:8], 16),
        )


def load_items(data: Path) -> list[Item]:
    """Every question of the data folder, with its paragraph cut into sentences."""
    if not data.is_dir():
        raise DataError(f"training data folder {data} does not exist — pass --data DIR")
    items: list[Item] = []
    try:
        for name in SQUAD_FILES:
            doc = json.loads((data / name).read_text(encoding="utf-8"))
            items += _squad_items(name.split("-")[0], doc["data"])
        items += _extra_items(data / EXTRA_FILE)
        for name in SELQA_FILES:
            items += _selqa_items("selqa", json.loads((data / name).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"cannot read the training data in {data}: {exc}") from exc
    return items


def checksums(data: Path) -> dict[str, str]:
    """sha256 of each data file read, for the model card."""
    names = [*SQUAD_FILES, EXTRA_FILE, *SELQA_FILES]
    return {n: hashlib.sha256((data / n).read_bytes()).hexdigest() for n in names}


def held_out(items: Sequence[Item]) -> dict[str, str]:
    """Held-out article → "dev" or "test". SQuAD 2.0 articles (with their adversarial
    unanswerable questions) by the order of their titles' hashes, alternating dev/test; and a
    share of SelQA's articles (paraphrased questions), likewise."""
    squad2 = sorted({i.article for i in items if i.dataset == "squad2"}, key=_sha)
    selqa = sorted({i.article for i in items if i.dataset == "selqa"}, key=_sha)
    chosen = squad2[:HELD_OUT_SQUAD2] + selqa[: round(HELD_OUT_SELQA_SHARE * len(selqa))]
    return {a: ("dev" if k % 2 == 0 else "test") for k, a in enumerate(chosen)}


def _answer_sentence(item: Item) -> tuple[int, tuple[int, int]] | None:
    """The sentence holding the first answer that lies inside one sentence, and the answer's
    span relative to it."""
    for a0, a1 in item.answers:
        for k, (s0, s1) in enumerate(item.sentences):
            if s0 <= a0 and a1 <= s1:
                return k, (a0 - s0, a1 - s0)
    return None


def window(sentences: Sequence[tuple[int, int]], k: int, radius: int = 1) -> tuple[int, int]:
    """[start, end) of sentence ``k`` with up to ``radius`` neighbours on each side: the
    passage read to decide whether the question is answered around a chosen sentence."""
    inside = _around(k, len(sentences), radius)
    return sentences[inside.start][0], sentences[inside.stop - 1][1]


def _window_examples(it: Item, touched: set[int], rng: random.Random) -> list[Example]:
    """A window around the answering sentence (label 1) and one around a sentence whose window
    holds no answer (label 0); for an unanswerable question, windows around the sentence
    sharing most words with the question and around a random one (label 0)."""
    spans = it.sentences
    clear = [k for k in range(len(spans)) if not any(j in touched for j in _around(k, len(spans)))]
    out = []
    if it.answerable:
        found = _answer_sentence(it) if it.dataset != "selqa" else None
        k = found[0] if found else min(touched, default=-1)
        if k < 0:
            return []
        w0, w1 = window(spans, k)
        span = (-1, -1)
        if found:
            a0, a1 = found[1]
            span = (a0 + spans[k][0] - w0, a1 + spans[k][0] - w0)
        out.append(Example(it.question, it.context[w0:w1], 1, span, it.article, it.qid))
        picks = [rng.choice(clear)] if clear else []
    else:
        asked = set(terms(it.question))
        shared = [len(asked & set(terms(it.context[a:b]))) for a, b in spans]
        best = max(range(len(spans)), key=shared.__getitem__)
        picks = list(dict.fromkeys([best, rng.randrange(len(spans))]))
    for k in picks:
        w0, w1 = window(spans, k)
        out.append(Example(it.question, it.context[w0:w1], 0, (-1, -1), it.article, it.qid))
    return out


# The placeholder an erased answer becomes, by the kind of thing the question asks for.
PLACEHOLDERS = {
    "number": "several",
    "date": "at one point",
    "entity": "someone",
    "place": "somewhere",
    None: "something",
}


def _erased_pair(it: Item, k: int, span: tuple[int, int], rng: random.Random) -> list[Example]:
    """The answering sentence ``k`` with its answer ``span`` replaced by a placeholder (label 0),
    and with as many other words, none of them the question's, replaced by the same placeholder
    (label 1, the answer's span moved accordingly)."""
    s0, s1 = it.sentences[k]
    text = it.context[s0:s1]
    a0, a1 = span
    fill = PLACEHOLDERS[question_type(it.question)]
    gone = text[:a0] + fill + text[a1:]
    if normalize(text[a0:a1]) in normalize(gone):
        return []  # the answer is said twice: erasing one leaves it there
    out = [Example(it.question, gone, 0, (-1, -1), it.article, it.qid)]
    asked = set(terms(it.question))
    n = min(3, len(WORD.findall(text[a0:a1])) or 1)
    spans = [m.span() for m in WORD.finditer(text)]
    starts = [
        i
        for i in range(len(spans) - n + 1)
        if (spans[i + n - 1][1] <= a0 or spans[i][0] >= a1)
        and not asked & set(terms(text[spans[i][0] : spans[i + n - 1][1]]))
    ]
    if starts:
        i = rng.choice(starts)
        w0, w1 = spans[i][0], spans[i + n - 1][1]
        kept = text[:w0] + fill + text[w1:]
        shift = len(fill) - (w1 - w0) if w1 <= a0 else 0
        out.append(Example(it.question, kept, 1, (a0 + shift, a1 + shift), it.article, it.qid))
    return out


def _around(k: int, n: int, radius: int = 1) -> range:
    """Positions of sentence ``k`` and its neighbours among ``n`` sentences."""
    return range(max(0, k - radius), min(n, k + radius + 1))


def _positives(item: Item) -> set[int]:
    """Every sentence that overlaps a gold answer (SelQA's answers are whole sentences)."""
    return {
        k
        for k, (s0, s1) in enumerate(item.sentences)
        for a0, a1 in item.answers
        if a0 < s1 and s0 < a1
    }


class _ArticleIndex:
    """BM25 over the sentences of one article's paragraphs, for hard negatives."""

    def __init__(self, paragraphs: dict[int, Item]) -> None:
        import bm25s

        self.rows: list[tuple[int, str]] = []
        for pi, item in sorted(paragraphs.items()):
            for s0, s1 in item.sentences:
                self.rows.append((pi, item.context[s0:s1]))
        self.bm25 = bm25s.BM25()
        self.bm25.index([terms(t) or ["-"] for _, t in self.rows], show_progress=False)

    def hard(self, item: Item, k: int) -> list[str]:
        if len(self.rows) < 2:
            return []
        scores = self.bm25.get_scores(terms(item.question) or ["-"])
        order = sorted(range(len(self.rows)), key=lambda r: -float(scores[r]))
        out = [self.rows[r][1] for r in order if self.rows[r][0] != item.paragraph and scores[r]]
        return out[:k]


def examples(
    items: Sequence[Item],
    seed: int,
    paragraph_negatives: int = 4,
    hard_negatives: int = 2,
    selqa_repeats: int = 1,
    windows: float = 0.0,
    erased: float = 0.0,
    unanswerable_repeats: int = 1,
) -> list[Example]:
    """Training pairs: per question its answering sentence, up to ``paragraph_negatives`` other
    sentences of its paragraph (every sentence, for an unanswerable question) and
    ``hard_negatives`` high-BM25 sentences from the article's other paragraphs. SelQA's
    questions (half of them paraphrased) come ``selqa_repeats`` times, each time with freshly
    drawn negatives. A share ``windows`` of the questions also come with passages of three
    sentences (see ``_window_examples``); a share ``erased`` of the answerable SQuAD questions
    also come with an answer-erased pair (see ``_erased_pair``). SQuAD 2.0's unanswerable
    questions (written against their paragraph to look answerable) come ``unanswerable_repeats``
    times, the repeats after all the other questions. Shuffled."""
    unanswerable = [it for it in items if it.dataset == "squad2" and not it.answerable]
    items = [*items, *unanswerable * (unanswerable_repeats - 1)]
    rng = random.Random(seed)
    by_article: dict[str, dict[int, Item]] = defaultdict(dict)
    for it in items:
        by_article[it.article].setdefault(it.paragraph, it)
    indexes: dict[str, _ArticleIndex] = {}
    out: list[Example] = []
    repeated = (it for it in items for _ in range(selqa_repeats if it.dataset == "selqa" else 1))
    for it in repeated:
        text = [it.context[s0:s1] for s0, s1 in it.sentences]
        touched = _positives(it)  # overlaps an answer: never a negative
        if it.dataset == "selqa":
            for k in sorted(touched):
                out.append(Example(it.question, text[k], 1, (-1, -1), it.article, it.qid))
        elif it.answerable:
            found = _answer_sentence(it)
            if found is None:
                continue  # the answer straddles a sentence cut: no clean positive
            k, span = found
            out.append(Example(it.question, text[k], 1, span, it.article, it.qid))
            if erased and rng.random() < erased:
                out.extend(_erased_pair(it, k, span, rng))
        if windows and rng.random() < windows:
            out.extend(_window_examples(it, touched, rng))
        negs = [k for k in range(len(text)) if k not in touched]
        rng.shuffle(negs)
        for k in negs if not it.answerable else negs[:paragraph_negatives]:
            out.append(Example(it.question, text[k], 0, (-1, -1), it.article, it.qid))
        if hard_negatives and it.article.startswith("squad:") and len(by_article[it.article]) > 1:
            if it.article not in indexes:
                indexes[it.article] = _ArticleIndex(by_article[it.article])
            answers = [normalize(it.context[a0:a1]) for a0, a1 in it.answers]
            hard = [
                t
                for t in indexes[it.article].hard(it, hard_negatives + 2)
                if not any(a and a in normalize(t) for a in answers)
            ]
            for t in hard[:hard_negatives]:
                out.append(Example(it.question, t, 0, (-1, -1), it.article, it.qid))
    rng.shuffle(out)
    return out
