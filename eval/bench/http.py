"""Section http: `qa serve` of each checkout (and the baseline's server) under
eval/loadgen.py, on /ask and /v1/chat/completions."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from .code import CURRENT, Code
from .common import PROJECT, _free_port, _questions
from .sections import SectionRun


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not become ready")


def _bodies(folder: Path) -> dict[str, Path]:
    questions = _questions()
    paths = {"/ask": folder / "ask.jsonl", "/v1/chat/completions": folder / "chat.jsonl"}
    with paths["/ask"].open("w") as fh:
        for q in questions:
            fh.write(json.dumps({"question": q}) + "\n")
    with paths["/v1/chat/completions"].open("w") as fh:
        for q in questions:
            body = {"model": "qa-extractive", "messages": [{"role": "user", "content": q}]}
            fh.write(json.dumps(body) + "\n")
    return paths


def _die_with_parent() -> None:
    """In the server's process, before exec: SIGTERM it when the benchmark dies (killed by a
    timeout, say), so that no server outlives the run. Linux only; elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _serve(
    code: Code, cmd: list[str], requests: int, concurrency: int, folder: Path
) -> dict[str, Any]:
    port = _free_port()
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)],
        cwd=code.root,
        env=code.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )
    try:
        _wait_ready(port, proc)
        out = {}
        for path, bodies in _bodies(folder).items():
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "eval.loadgen",
                    "--url",
                    f"http://127.0.0.1:{port}{path}",
                    "--body-file",
                    str(bodies),
                    "--requests",
                    str(requests),
                    "--concurrency",
                    str(concurrency),
                    "--warmup",
                    str(min(100, requests // 4)),
                ],
                cwd=PROJECT,
                capture_output=True,
                text=True,
                timeout=900,
                check=True,
            )
            out[path] = json.loads(done.stdout)
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def http_head(run: SectionRun) -> dict[str, Any]:
    return {"concurrency": run.args.concurrency}


def http_serve(run: SectionRun, code: Code) -> dict[str, Any]:
    """`qa serve` (the ``qa`` entry point of each checkout) under eval/loadgen.py."""
    return _serve(code, code.qa("serve"), run.args.requests, run.args.concurrency, run.tmp)


def http_baseline(run: SectionRun) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "eval.bench_baseline", "serve"]
    return _serve(CURRENT, cmd, run.args.baseline_requests, run.args.concurrency, run.tmp)
