"""What the HTTP handlers share: the engine (`AnswerEngine`, what the server needs from
`qa.answer.engine.Engine`), the batcher and the limits, kept on ``app.state`` as one `Service`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from litestar.datastructures import State
from litestar.exceptions import ServiceUnavailableException

from qa.core.types import Answer, Paragraph, SourceView
from qa.serve.batching import Batcher, Limits


class AnswerEngine(Protocol):
    """What the server needs from `qa.answer.engine.Engine`."""

    @property
    def index_version(self) -> str: ...

    @property
    def texts(self) -> Mapping[str, str]: ...

    def ask_many(self, questions: Sequence[str]) -> list[Answer]: ...

    def paragraph(self, source: str, number: int) -> Paragraph: ...

    def source(self, source: str) -> SourceView: ...


@dataclass
class Service:
    """What the handlers share; the engine and the batcher are filled in at start-up."""

    limits: Limits
    model_id: str
    api_key: str | None
    created: int = field(default_factory=lambda: int(time.time()))
    engine: AnswerEngine | None = None
    batcher: Batcher | None = None

    def ready(self) -> tuple[AnswerEngine, Batcher]:
        if self.engine is None or self.batcher is None:
            raise ServiceUnavailableException("the index is not loaded yet — retry shortly")
        return self.engine, self.batcher

    def ask_many(self, questions: Sequence[str]) -> list[Answer]:
        """The batcher's call: whichever engine is current when the batch starts answers it all."""
        engine = self.engine
        if engine is None:
            raise ServiceUnavailableException("the server is shutting down")
        return engine.ask_many(questions)


def service_of(state: State) -> Service:
    svc: Service = state.qa
    return svc
