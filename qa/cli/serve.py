"""`qa serve`: the web server's options (host, API key, reload, allowed hosts, connection and
queue limits), passed on to `qa.serve.app` and uvicorn."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qa.cli.common import _open_engine, _run, corpus_option, index_option

# `qa serve` connection limits (qa/serve/connections.py): a whole request within READ_TIMEOUT_S of
# connecting or of its first byte; idle keep-alive connections closed after KEEP_ALIVE_TIMEOUT_S
# (uvicorn's default); 503 beyond MAX_CONNECTIONS open connections or requests in flight
READ_TIMEOUT_S = 10.0
KEEP_ALIVE_TIMEOUT_S = 5
MAX_CONNECTIONS = 1000


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@corpus_option
@index_option
@click.option(
    "--api-key",
    envvar="QA_API_KEY",
    default=None,
    help="Require 'Authorization: Bearer KEY' on the API (default: env QA_API_KEY; none).",
)
@click.option(
    "--reload-interval",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    help="Seconds between checks for an index rebuilt by `qa index`, swapped in without a "
    "restart; 0 turns this off.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests whose Host header is NAME (any port), e.g. the name a reverse "
    "proxy forwards; *.example.org for subdomains. Repeatable. Always allowed: localhost, "
    "127.0.0.1, [::1]; other Hosts get 400 (DNS-rebinding defence).",
)
@click.option(
    "--read-timeout",
    type=click.FloatRange(min=0.1, max=3600),
    default=READ_TIMEOUT_S,
    show_default=True,
    help="Seconds a client has to send a whole request (line, headers, body), from connecting "
    "or from the request's first byte; slower connections are closed.",
)
@click.option(
    "--keep-alive-timeout",
    type=click.IntRange(min=1, max=3600),
    default=KEEP_ALIVE_TIMEOUT_S,
    show_default=True,
    help="Seconds an idle connection is kept open between requests.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1, max=1_000_000),
    default=MAX_CONNECTIONS,
    show_default=True,
    help="Beyond this many open connections (or requests in flight), requests get 503.",
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Seconds within which a question is answered; when the questions ahead of it would "
    "take longer, it gets a fast 503 with Retry-After instead of waiting.",
)
@click.option(
    "--max-pending",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="Questions that may wait for the engine at once; beyond them: 503 with Retry-After.",
)
def serve_command(
    host: str,
    port: int,
    corpus: Path | None,
    index: Path | None,
    api_key: str | None,
    reload_interval: float,
    allowed_hosts: tuple[str, ...],
    read_timeout: float,
    keep_alive_timeout: int,
    max_connections: int,
    deadline: float,
    max_pending: int,
) -> None:
    """Serve the chat page, POST /ask and an OpenAI-compatible /v1/chat/completions.

    The index is loaded (built first when needed) before the server starts listening; each
    request then logs one JSON line with its timings to stderr. On SIGTERM or Ctrl-C the server
    stops accepting connections and finishes the requests in flight (for up to 30 s).
    Only requests for the loopback names (and --allowed-host names) are answered.
    """

    from qa.serve.hosts import LOOPBACK_HOSTS, check_host_patterns

    try:
        hosts = check_host_patterns([*LOOPBACK_HOSTS, *allowed_hosts])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--allowed-host") from None

    def serve() -> None:
        import uvicorn

        from qa.serve.access_log import log_to
        from qa.serve.app import create_app
        from qa.serve.batching import Limits
        from qa.serve.connections import h11_with_read_timeout
        from qa.serve.reload import Reload, reopen_rebuilt

        engine = _open_engine(corpus, index)
        log_to(sys.stderr)
        reload = Reload(reopen_rebuilt, reload_interval) if reload_interval > 0 else None
        limits = Limits(deadline_s=deadline, max_pending=max_pending)
        app = create_app(
            lambda: engine,
            api_key=api_key or None,
            reload=reload,
            allowed_hosts=hosts,
            limits=limits,
        )
        uvicorn.run(
            app,
            host=host,
            port=port,
            access_log=False,
            log_level="info",
            server_header=False,
            timeout_graceful_shutdown=30,
            http=h11_with_read_timeout(read_timeout),
            timeout_keep_alive=keep_alive_timeout,
            limit_concurrency=max_connections,
        )

    _run(serve)
