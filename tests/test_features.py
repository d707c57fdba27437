"""qa.answer.features: the cheap question and sentence features of preselection."""

from __future__ import annotations

import pytest

from qa.answer.features import question_names


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Who sits on the panel al-Sharaa set up?", {"sharaa"}),
        ("Which Apache-licensed files?", {"apach"}),
        ("What did Guterres's spokesperson say?", {"guterr"}),
        ("Where is Paris? Ask Marie", {"pari", "mari"}),  # "Ask" starts a sentence: no name
        ("who led the offensive?", set()),
    ],
)
def test_question_names_are_the_capitalised_words_and_parts(question: str, names: set[str]) -> None:
    assert question_names(question) == names
