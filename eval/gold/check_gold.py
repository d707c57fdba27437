#!/usr/bin/env python3
"""Validate a gold QA set (JSONL) against its corpus directory.

The JSONL files are the source of truth: a question is added or changed by editing its line
(the format is in eval/README.md), then checked with this script.

Usage:
    python3 check_gold.py GOLD.jsonl CORPUS_DIR [GOLD2.jsonl CORPUS_DIR2 ...]

e.g., from the project folder:
    python3 eval/gold/check_gold.py eval/gold/seeds.jsonl seeds \
                                    eval/gold/licenses.jsonl eval/corpora/licenses

Checks, per line: valid JSON object; required keys and types; unique ids;
split in {dev, test}; tags from the vocabulary; answerable <=> non-empty
answers and evidence (and the "unanswerable" tag <=> not answerable); every
evidence quote is an exact substring of the named corpus file; every answer
appears (SQuAD-normalised, on token boundaries) in at least one of its
evidence quotes.  Prints counts per tag and split; exits 1 on any error.
Stdlib only.
"""

import json
import os
import re
import sys
import unicodedata
from collections import Counter

TAGS = {
    "who",
    "what",
    "when",
    "where",
    "why",
    "how",
    "number",
    "date",
    "paraphrase",
    "lexical",
    "duplicate",
    "multi-sentence",
    "unanswerable",
    "offtopic",
    "ontopic-missing",
}
SPLITS = {"dev", "test"}
REQUIRED = {
    "id": str,
    "question": str,
    "answerable": bool,
    "answers": list,
    "evidence": list,
    "tags": list,
    "split": str,
}


def normalize(s):
    """SQuAD-style: lowercase, strip punctuation, drop articles, collapse ws.

    Punctuation means ASCII punctuation plus any Unicode punctuation or
    symbol character (curly quotes, dashes, ...).  Characters are removed,
    not replaced, exactly as in the SQuAD evaluation script.
    """
    s = s.lower()
    s = "".join(ch for ch in s if not unicodedata.category(ch).startswith(("P", "S")))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def check_file(gold_path, corpus_dir):
    errors = []
    tag_counts = Counter()
    split_counts = Counter()
    tag_split = Counter()
    ids = set()
    cache = {}

    def corpus_text(name):
        if name not in cache:
            p = os.path.join(corpus_dir, name)
            if os.path.basename(name) != name or not os.path.isfile(p):
                cache[name] = None
            else:
                with open(p, encoding="utf-8", newline="") as fh:
                    cache[name] = fh.read()
        return cache[name]

    with open(gold_path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    n = 0
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{gold_path}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{where}: bad JSON: {e}")
            continue
        if not isinstance(obj, dict):
            errors.append(f"{where}: not a JSON object")
            continue
        n += 1
        bad = False
        for k, t in REQUIRED.items():
            if k not in obj:
                errors.append(f"{where}: missing key {k!r}")
                bad = True
            elif not isinstance(obj[k], t):
                errors.append(f"{where}: key {k!r} should be {t.__name__}")
                bad = True
        extra = set(obj) - set(REQUIRED)
        if extra:
            errors.append(f"{where}: unexpected keys {sorted(extra)}")
        if bad:
            continue
        qid = obj["id"]
        where = f"{where} ({qid})"
        if qid in ids:
            errors.append(f"{where}: duplicate id")
        ids.add(qid)
        if not obj["question"].strip():
            errors.append(f"{where}: empty question")
        if obj["split"] not in SPLITS:
            errors.append(f"{where}: bad split {obj['split']!r}")
        tags = obj["tags"]
        if not tags or not all(isinstance(t, str) for t in tags):
            errors.append(f"{where}: tags must be a non-empty list of str")
            tags = [t for t in tags if isinstance(t, str)]
        for t in tags:
            if t not in TAGS:
                errors.append(f"{where}: unknown tag {t!r}")
        if len(set(tags)) != len(tags):
            errors.append(f"{where}: repeated tag")
        answers, evidence = obj["answers"], obj["evidence"]
        if obj["answerable"]:
            if not (1 <= len(answers) <= 4):
                errors.append(f"{where}: answerable needs 1-4 answers")
            if not evidence:
                errors.append(f"{where}: answerable needs evidence")
            if "unanswerable" in tags or "offtopic" in tags or "ontopic-missing" in tags:
                errors.append(f"{where}: answerable but tagged unanswerable")
        else:
            if answers or evidence:
                errors.append(f"{where}: unanswerable must have empty answers/evidence")
            if "unanswerable" not in tags:
                errors.append(f"{where}: unanswerable lacks tag")
            if ("offtopic" in tags) == ("ontopic-missing" in tags):
                errors.append(
                    f"{where}: unanswerable needs exactly one of offtopic / ontopic-missing"
                )
        quotes = []
        for i, ev in enumerate(evidence):
            if not (
                isinstance(ev, dict)
                and set(ev) == {"source", "quote"}
                and isinstance(ev["source"], str)
                and isinstance(ev["quote"], str)
            ):
                errors.append(f"{where}: evidence[{i}] must be {{source: str, quote: str}}")
                continue
            text = corpus_text(ev["source"])
            if text is None:
                errors.append(f"{where}: evidence[{i}] unknown source {ev['source']!r}")
                continue
            if not ev["quote"].strip():
                errors.append(f"{where}: evidence[{i}] empty quote")
            elif ev["quote"] not in text:
                errors.append(
                    f"{where}: evidence[{i}] quote not an exact "
                    f"substring of {ev['source']}: "
                    f"{ev['quote'][:80]!r}"
                )
            quotes.append(" " + normalize(ev["quote"]) + " ")
        for a in answers:
            if not isinstance(a, str) or not normalize(a):
                errors.append(f"{where}: bad answer {a!r}")
                continue
            na = " " + normalize(a) + " "
            if not any(na in q for q in quotes):
                errors.append(f"{where}: answer {a!r} not in any evidence quote")
        if len(set(map(normalize, [a for a in answers if isinstance(a, str)]))) != len(answers):
            errors.append(f"{where}: duplicate answers after normalisation")
        if "duplicate" in tags:
            srcs = {ev.get("source", "")[:3] for ev in evidence if isinstance(ev, dict)}
            if not {"000", "001"} <= srcs:
                errors.append(f"{where}: tagged duplicate but evidence not in both 000 and 001")
        if "multi-sentence" in tags and not obj["answerable"]:
            errors.append(f"{where}: multi-sentence on unanswerable")
        split_counts[obj["split"]] += 1
        for t in tags:
            tag_counts[t] += 1
            tag_split[(t, obj["split"])] += 1
    # report
    print(f"== {gold_path}  ({n} questions; corpus {corpus_dir})")
    print("   split: " + ", ".join(f"{s}={split_counts[s]}" for s in sorted(SPLITS)))
    print(f"   {'tag':<16}{'total':>6}{'%':>7}{'dev':>6}{'test':>6}")
    for t in sorted(tag_counts, key=lambda t: (-tag_counts[t], t)):
        print(
            f"   {t:<16}{tag_counts[t]:>6}{100 * tag_counts[t] / max(n, 1):>6.1f}%"
            f"{tag_split[(t, 'dev')]:>6}{tag_split[(t, 'test')]:>6}"
        )
    ans = n - tag_counts["unanswerable"]
    print(f"   answerable={ans} unanswerable={tag_counts['unanswerable']}")
    for e in errors:
        print("   ERROR", e)
    print(f"   {len(errors)} error(s)")
    return errors


def main(argv):
    if len(argv) < 3 or len(argv) % 2 != 1:
        print(__doc__)
        return 2
    total = 0
    for gold, corpus in zip(argv[1::2], argv[2::2], strict=True):
        total += len(check_file(gold, corpus))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
