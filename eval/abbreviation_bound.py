"""How many gold questions an abbreviation pass could help at most: run by hand, not in CI.

A Schwartz–Hearst pass at indexing would let a question that names "the Syrian Observatory for
Human Rights" read a sentence that says only "SOHR", when the document defines the one as the
other. Before building it: every "Long Form (SF)" definition in each committed gold corpus (the
short form a capitalised word in brackets; the long form the fewest preceding words, at most
eight, whose letters hold the short form's letters in order, the first word starting with its
first letter, as Schwartz and Hearst match them), and every answerable gold question whose
wording uses one form of a definition of its evidence's document while the evidence sentence
has only the other. Those questions are the most such a pass could change.

    python -m eval.abbreviation_bound                 # dev and test splits
    python -m eval.abbreviation_bound --split dev
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from qa.evaluate.gold import COMMITTED

DEFINED = re.compile(r"((?:[A-Za-z][\w'-]*\s+){1,8})\(\s*([A-Z][A-Za-z0-9]{1,9})\s*\)")


def definitions(text: str) -> dict[str, str]:
    """Short form → long form, for each "Long Form (SF)" in ``text``."""
    found: dict[str, str] = {}
    for m in DEFINED.finditer(text):
        words, short = m.group(1).split(), m.group(2)
        letters = [c.lower() for c in short if c.isalpha()]
        for k in range(1, min(len(words), len(short) + 3) + 1):
            long = words[-k:]
            rest = iter(" ".join(long).lower())
            if long[0][0].lower() == letters[0] and all(c in rest for c in letters):
                found[short] = " ".join(long)
                break
    return found


def _has_short(short: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(short)}\b", text) is not None


def crosses(question: str, evidence: str, short: str, long: str) -> bool:
    """The question uses one form and the evidence has only the other."""
    q_long, e_long = long.lower() in question.lower(), long.lower() in evidence.lower()
    q_short, e_short = _has_short(short, question), _has_short(short, evidence)
    return (q_long and e_short and not e_long) or (q_short and e_long and not e_short)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    args = parser.parse_args()
    splits = {"dev", "test"} if args.split == "all" else {args.split}
    for gold, corpus in COMMITTED:
        defs = {
            f.name: definitions(f.read_text(encoding="utf-8", errors="ignore"))
            for f in sorted(Path(corpus).rglob("*"))
            if f.is_file()
        }
        asked = helped = 0
        for line in gold.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            if q.get("split") not in splits or not q["answerable"]:
                continue
            asked += 1
            if any(
                crosses(q["question"], ev["quote"], short, long)
                for ev in q["evidence"]
                for short, long in defs.get(Path(ev["source"]).name, {}).items()
            ):
                helped += 1
                print(f"  {q['id']}: {q['question']}")
        total = sum(map(len, defs.values()))
        print(f"{gold.stem}: {total} definitions; {helped} of {asked} answerable questions")


if __name__ == "__main__":
    main()
