"""Index reloading: when the index is rebuilt on disk (`qa index` swaps the `current` link), a
watcher opens the new build in a worker thread and swaps it in between batches: no request fails
and none waits for the load.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from litestar.concurrency import sync_to_thread

from qa.serve.service import AnswerEngine, Service

log = logging.getLogger("qa.server")  # the server's log (`qa.serve.access_log.log_to` sets it up)


@dataclass(frozen=True)
class Reload:
    """How the server notices a rebuilt index: every ``interval_s``, ``check(engine)`` runs in a
    worker thread and returns a freshly opened engine when the index on disk is no longer the one
    ``engine`` serves, else None."""

    check: Callable[[AnswerEngine], AnswerEngine | None]
    interval_s: float = 2.0


def reopen_rebuilt(engine: AnswerEngine) -> AnswerEngine | None:
    """For `qa.answer.engine.Engine`: an engine over the build that ``current`` points at, when it
    is not the one ``engine`` has open. Only loads (never builds); the encoder is shared, so a swap
    costs little more than memory-mapping the new files. The old build stays on disk for the batch
    still reading it (`qa.index.store` keeps the previous build), and its memory maps outlive a
    prune."""
    from qa.answer.engine import Engine
    from qa.index.store import current_build, load

    if not isinstance(engine, Engine):
        return None
    loaded = engine.store.path
    build = current_build(loaded.parent.parent)
    if build is None or build == loaded:
        return None
    return Engine(
        engine.corpus, load(build), engine.encoder, engine.reader, engine.composer.settings
    )


async def watch(svc: Service, reload: Reload) -> None:
    """Swap in rebuilt indexes until cancelled; a build that fails to open is logged once and the
    current engine keeps answering."""
    failed: str | None = None
    while True:
        await asyncio.sleep(reload.interval_s)
        engine = svc.engine
        if engine is None:
            continue
        try:
            fresh = await sync_to_thread(reload.check, engine)
        except Exception as exc:
            if str(exc) != failed:
                log.warning(
                    "a rebuilt index cannot be opened (%s) — still serving index %s",
                    exc,
                    engine.index_version,
                )
            failed = str(exc)
            continue
        failed = None
        if fresh is not None and svc.engine is engine:
            svc.engine = fresh
            log.info("index %s swapped in (was %s)", fresh.index_version, engine.index_version)
