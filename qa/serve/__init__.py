"""The HTTP service (`qa serve`, litestar): the app and its routes (`app`), the OpenAI-compatible
wire format (`wire`), micro-batching and admission (`batching`, `service`), host checks
(`hosts`), JSON errors (`http_errors`), index hot reload (`reload`), the access log
(`access_log`) and connection limits (`connections`).

May import: qa.answer, qa.index, qa.ingest, qa.core (never qa.train, qa.evaluate or qa.cli)."""
