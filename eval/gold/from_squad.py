#!/usr/bin/env python3
"""Build the held-out encyclopedia corpus and its gold set from the reader's training data.

Run once; the output is committed, and from then on the JSONL file is the source of truth,
edited by hand like the other gold sets (eval/README.md). A re-run from the same data writes
byte-identical files, but it rewrites them: it overwrites any hand edit of
eval/gold/squad-heldout.jsonl (and of the corpus files).

    python eval/gold/from_squad.py [--data ../shared/qa-train]

The reading model holds out whole articles of its training data (``qa.train.data.held_out``);
the held-out SQuAD 2.0 articles (keys ``squad:…``) become a product-level test corpus that the
model never trained on. This script writes

* ``eval/corpora/squad-heldout/<Title>.txt``: one file per held-out article (characters of the
  title outside ``[A-Za-z0-9_.,()-]`` replaced by ``_``), its paragraphs in order, one paragraph
  per line, each line exactly the SQuAD ``context`` string;
* ``eval/gold/squad-heldout.jsonl``: every question of those articles in the project's gold
  format (eval/README.md), ids h0001… in file order (articles by file name, then paragraph, then
  question). Answerable: the distinct gold answer texts, and as evidence each distinct sentence
  (the service's own segmenter, ``qa.train.data.sentence_spans``) holding a gold answer — the
  run of sentences from first to last when an answer straddles a sentence cut. Unanswerable (the
  adversarial SQuAD 2.0 questions): no answers, no evidence, tagged unanswerable and
  ontopic-missing. Tags are only what is derivable from the text: the question's wh-word
  (whom/whose count as who, which as what; the first one in the question; none when there is
  none, except that an answerable question then gets ``what``, since check_gold needs a tag).
  ``split`` is the article's held_out() value.

Answer texts that check_gold cannot find, SQuAD-normalised and on token boundaries, inside their
evidence (e.g. "Wegener" cut out of "Wegener's", "1115" out of "(1115–1234)") and texts equal to an
earlier one after normalisation are dropped; when that leaves a question none, its first answer
is widened to the white space around it ("Wegener's", "1115–1234"). Two SQuAD offsets that point
into the wrong word are corrected (OFFSET_FIXES). The counts are printed.

Data: SQuAD 2.0 (Rajpurkar, Jia and Liang, 2018, "Know What You Don't Know: Unanswerable
Questions for SQuAD"), licensed CC BY-SA 4.0; the corpus files are its Wikipedia paragraphs.
Stdlib and ``qa.train.data`` only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

from qa.train.data import DEFAULT_DATA, Item, held_out, load_items

ROOT = Path(__file__).resolve().parent.parent.parent
CORPUS = ROOT / "eval" / "corpora" / "squad-heldout"
GOLD = ROOT / "eval" / "gold" / "squad-heldout.jsonl"
MAX_ANSWERS = 4  # check_gold's limit
# SQuAD annotation errors: the answer offset points at the same characters inside another word
# ("20" of "2015"); question id → (answer text, its corrected offset in the paragraph)
OFFSET_FIXES = {
    "56cf5c2caab44d1400b8911d": ("20", 164),  # "set 20 years after", not "July 14, 2015"
    "56d3f37f2ccc5a1400d82f85": ("20", 164),
}

WH = {
    "who": "who",
    "whom": "who",
    "whose": "who",
    "what": "what",
    "which": "what",
    "when": "when",
    "where": "where",
    "why": "why",
    "how": "how",
}


def file_name(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.,()-]", "_", title) + ".txt"


def normalize(s: str) -> str:
    """check_gold.normalize: lower case, no punctuation or symbols, no articles, single spaces."""
    s = s.lower()
    s = "".join(ch for ch in s if not unicodedata.category(ch).startswith(("P", "S")))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def wh_tag(question: str) -> tuple[str, bool]:
    """The question's wh-word tag, and whether the question has one."""
    for word in re.findall(r"[a-z]+", question.lower()):
        if word in WH:
            return WH[word], True
    return "what", False


def answer_spans(item: Item) -> tuple[tuple[int, int], ...]:
    if item.qid not in OFFSET_FIXES:
        return item.answers
    text, start = OFFSET_FIXES[item.qid]
    if item.context[start : start + len(text)] != text:
        raise SystemExit(f"{item.qid}: the offset fix no longer matches the data")
    return ((start, start + len(text)),)


def widen(context: str, a0: int, a1: int) -> str:
    """The answer stretched to the white space around it, minus outer brackets and quotes:
    "1115" of "(1115–1234)" becomes "1115–1234", "Wegener" of "Wegener's" becomes "Wegener's"."""
    while a0 > 0 and not context[a0 - 1].isspace():
        a0 -= 1
    while a1 < len(context) and not context[a1].isspace():
        a1 += 1
    return context[a0:a1].strip("()[]\"'“”‘’,.;:")


def evidence_quotes(item: Item) -> tuple[list[tuple[str, str, str]], bool]:
    """(answer text, the text widened to white space, quote) per gold answer span, and whether
    any answer straddles a sentence cut."""
    out, straddles = [], False
    for a0, a1 in answer_spans(item):
        hit = [(s0, s1) for s0, s1 in item.sentences if s0 < a1 and a0 < s1]
        if not hit:
            raise SystemExit(f"{item.qid}: answer [{a0}, {a1}) lies in no sentence")
        straddles |= len(hit) > 1
        quote = item.context[hit[0][0] : hit[-1][1]]
        out.append((item.context[a0:a1], widen(item.context, a0, a1), quote))
    return out, straddles


def convert(data: Path) -> tuple[dict[str, list[str]], list[dict[str, object]], Counter[str]]:
    items = load_items(data)
    split_of = {a: s for a, s in held_out(items).items() if a.startswith("squad:")}
    by_article: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        if it.article in split_of:
            by_article[it.article].append(it)
    names = {a: file_name(a.removeprefix("squad:")) for a in by_article}
    if len(set(names.values())) != len(names):
        raise SystemExit("two held-out titles map to the same file name")

    files: dict[str, list[str]] = {}
    gold: list[dict[str, object]] = []
    stats: Counter[str] = Counter()
    for article in sorted(by_article, key=names.__getitem__):
        name = names[article]
        # paragraph order, then the data's question order (sorted() is stable)
        questions = sorted(by_article[article], key=lambda it: it.paragraph)
        paragraphs: dict[int, str] = {}
        for it in questions:
            if paragraphs.setdefault(it.paragraph, it.context) != it.context:
                raise SystemExit(f"{name}: paragraph {it.paragraph} has two texts")
        if sorted(paragraphs) != list(range(len(paragraphs))):
            raise SystemExit(f"{name}: a paragraph has no question, so it would be lost")
        if any(
            re.search(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", p) for p in paragraphs.values()
        ):
            raise SystemExit(f"{name}: a paragraph contains a line break")
        files[name] = [paragraphs[k] for k in sorted(paragraphs)]

        for it in questions:
            tag, found = wh_tag(it.question)
            tags = [tag] if found else []
            answers: list[str] = []
            evidence: list[dict[str, str]] = []
            if it.answerable:
                pairs, straddles = evidence_quotes(it)
                for _, _, quote in pairs:
                    ev = {"source": name, "quote": quote}
                    if ev not in evidence:
                        evidence.append(ev)
                quotes = [" " + normalize(e["quote"]) + " " for e in evidence]
                seen: set[str] = set()
                dropped = 0
                for text in dict.fromkeys(text for text, _, _ in pairs):  # distinct, in order
                    norm = normalize(text)
                    why = (
                        "nothing left after normalisation"
                        if not norm
                        else "same as an earlier answer after normalisation"
                        if norm in seen
                        else "not on token boundaries in the evidence"
                        if not any(f" {norm} " in q for q in quotes)
                        else "more than four distinct"
                        if len(answers) == MAX_ANSWERS
                        else ""
                    )
                    if why:
                        stats[f"answers dropped: {why}"] += 1
                        dropped += 1
                    else:
                        seen.add(norm)
                        answers.append(text)
                if dropped:
                    stats["questions that lost an answer text"] += 1
                if not answers:
                    # no text survives: the first answer widened to the white space around it
                    wide = pairs[0][1]
                    if not any(f" {normalize(wide)} " in q for q in quotes):
                        raise SystemExit(f"{it.qid}: no answer text fits its evidence")
                    stats["questions whose only answer was widened to whole words"] += 1
                    answers.append(wide)
                if straddles:
                    stats["answerable questions with an answer across a sentence cut"] += 1
            else:
                tags += ["unanswerable", "ontopic-missing"]
            if not tags:
                tags.append("what")  # check_gold needs a tag
                stats["answerable questions with no wh-word (tagged what)"] += 1
            gold.append(
                {
                    "id": f"h{len(gold) + 1:04d}",
                    "question": it.question.strip(),
                    "answerable": it.answerable,
                    "answers": answers,
                    "evidence": evidence,
                    "tags": tags,
                    "split": split_of[article],
                }
            )
    return files, gold, stats


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the qa-train folder")
    args = ap.parse_args(argv)
    files, gold, stats = convert(args.data)

    CORPUS.mkdir(parents=True, exist_ok=True)
    for stale in sorted(set(p.name for p in CORPUS.iterdir()) - set(files)):
        raise SystemExit(f"{CORPUS / stale} is not one of the held-out articles: remove it")
    for name, paragraphs in files.items():
        (CORPUS / name).write_text("\n".join(paragraphs) + "\n", encoding="utf-8", newline="")
    with GOLD.open("w", encoding="utf-8", newline="") as fh:
        for q in gold:
            fh.write(json.dumps(q, ensure_ascii=False) + "\n")

    for name, paragraphs in files.items():
        print(f"{CORPUS.relative_to(ROOT) / name}: {len(paragraphs)} paragraphs")
    per = Counter((str(q["split"]), bool(q["answerable"])) for q in gold)
    for split in ("dev", "test"):
        print(
            f"{split}: {per[split, True] + per[split, False]} questions, "
            f"{per[split, True]} answerable, {per[split, False]} unanswerable"
        )
    print(f"{GOLD.relative_to(ROOT)}: {len(gold)} questions")
    for key, n in sorted(stats.items()):
        print(f"  {key}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
