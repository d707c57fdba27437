"""End-to-end answers over seeds/: questions whose answer is a known sentence of the articles,
and questions the articles do not answer. Expectations come from reading the text."""

from __future__ import annotations

import pytest
from fakes import SEED_000, SEED_001, SEED_002, SEED_003, SEED_004

from qa.answer.composer import verify
from qa.answer.engine import Engine
from qa.core.text import terms

pytestmark = pytest.mark.slow

ANSWERABLE = [
    pytest.param(
        "How many police officers were killed in the ambush near Latakia?",
        {(SEED_004, 2)},
        "at least 13 police officers",
        id="police-officers",
    ),
    pytest.param(
        "Who is the director of SOHR?",
        {(SEED_004, 3)},
        "SOHR Director Rami Abdulrahman",
        id="sohr-director",
    ),
    pytest.param(
        "What did the rebels capture north of Aleppo?",
        {(SEED_003, 3)},
        "capturing a military airport north of Aleppo",
        id="airport",
    ),
    pytest.param(
        "On which day did Marco Rubio release his statement on the massacres?",
        {(SEED_002, 13)},
        "In a statement released on Sunday, U.S. Secretary of State Marco Rubio",
        id="rubio-sunday",
    ),
    pytest.param(
        "Who is Germany's Special Envoy for Syria?",
        {(SEED_004, 9)},
        "Stefan Schneck",
        id="german-envoy",
    ),
    pytest.param(
        "Who is the Turkish Foreign Minister?",
        {(SEED_004, 34)},
        "Turkish Foreign Minister Hakan Fidan",
        id="turkish-minister",
    ),
]

UNANSWERABLE = [
    pytest.param("Who won the 2018 World Cup?", id="world-cup"),
    pytest.param("How do I bake sourdough bread at home?", id="sourdough"),
    pytest.param("What is the population of Canada?", id="canada"),
]


@pytest.mark.parametrize(("question", "where", "phrase"), ANSWERABLE)
def test_answers(
    seeds_engine: Engine, question: str, where: set[tuple[str, int]], phrase: str
) -> None:
    answer = seeds_engine.ask(question)
    got = [(c.source, c.paragraph, c.quote) for c in answer.citations]
    assert not answer.abstained, f"abstained (confidence {answer.confidence:.3f})"
    assert {(s, p) for s, p, _ in got} <= where, got
    assert any(phrase in quote for *_, quote in got), got
    assert phrase in answer.answer
    for c in answer.citations:
        verify(c, seeds_engine.texts)


KASSAB = "who led the 2014 Kassab offensive?"
FACTIONS = "the extremist Islamist factions that stormed the town"


def test_sample_question_retrieves_the_factions_sentence(seeds_engine: Engine) -> None:
    """The README's sample question. Known gap, reported in the eval (gold question on the
    same fact) and in the closing note: the composer's best sentence is currently the one about
    the offensive's critics (000 ¶7), not the one naming the factions (000 ¶6 = 001 ¶2), and the
    answer abstains (showing ¶6 among the nearest passages) or cites ¶7. What holds, and is
    asserted here: the factions sentence is in the top two passages retrieval returns, an
    abstention shows it, and whatever is returned is grounded."""
    top = seeds_engine.search(KASSAB, 2)
    assert any(
        FACTIONS in p.text and (p.source, p.paragraph) in {(SEED_000, 6), (SEED_001, 2)}
        for p in top
    )
    answer = seeds_engine.ask(KASSAB)
    for c in (*answer.citations, *answer.related):
        verify(c, seeds_engine.texts)
    if answer.abstained:
        assert any(FACTIONS in c.quote for c in answer.related)


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_abstains(seeds_engine: Engine, question: str) -> None:
    answer = seeds_engine.ask(question)
    assert answer.abstained, [(c.source, c.paragraph, c.quote) for c in answer.citations]
    assert answer.answer == "" and answer.citations == ()
    assert answer.related
    for c in answer.related:
        verify(c, seeds_engine.texts)


def test_possessives_match_the_bare_name() -> None:
    assert terms("Damascus's envoy") == terms("Damascus envoy")
    assert terms("the MPL's terms") == terms("the MPL terms")


def test_hyphenated_words_give_themselves_and_their_parts() -> None:
    assert terms("HTS-affiliated") == ["hts-affili", "hts", "affili"]


def test_a_question_about_names_the_corpus_never_mentions_abstains(seeds_engine: Engine) -> None:
    """No hard rule any more (forcing confidence 0 cost held-out accuracy beside the reader):
    the share of unknown names is a confidence feature, and it is enough here."""
    answer = seeds_engine.ask("What is the population of Canada?")
    assert answer.abstained
    assert answer.confidence < seeds_engine.composer.settings.threshold / 2
