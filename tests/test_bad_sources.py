"""Files that cannot be read: a damaged, encrypted or image-only PDF, an HTML page that is all
script, a .docx that is not a Word file or would decompress without bound. Each is skipped with
one warning naming the file and why; the rest is indexed; nothing crashes or hangs, and the
conversion stays within its time and memory limits (qa.ingest.formats.guard)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from fakes import TINY_CORPUS, HashingEncoder, write_corpus

from eval import article
from qa.answer.engine import Engine
from qa.ingest.formats import Unreadable
from qa.ingest.formats.guard import Guard, _read


def _pdf(draw: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    if draw == "text":
        pdf.set_font("Helvetica", size=12)
        pdf.cell(0, 10, "The vault code is 7431.")
        pdf.set_encryption(owner_password="owner", user_password="user")
    else:  # shapes only, as a scanned page without a text layer has no text
        pdf.rect(20, 20, 100, 150, style="F")
    return bytes(pdf.output())


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _zip_bomb(megabytes: int) -> bytes:
    """A .docx-shaped zip whose document inflates to ``megabytes`` MB of zeros (~1 KB a MB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(megabytes):
                member.write(block)
    return out.getvalue()


def _flate_bomb(megabytes: int) -> bytes:
    """A PDF with one content stream that inflates to ``megabytes`` MB of spaces."""
    import zlib

    packer = zlib.compressobj(1)
    block = b" " * (1 << 20)
    stream = b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


BAD = {
    "damaged.pdf": (
        lambda: article.as_pdf()[: len(article.as_pdf()) // 3],
        "cannot be read as PDF",
    ),
    "garbage.pdf": (lambda: b"%PDF-1.7\n" + os.urandom(4000), "cannot be read as PDF"),
    "not-a-pdf.pdf": (lambda: b"<html>saved with the wrong name</html>", "not a PDF file"),
    "encrypted.pdf": (lambda: _pdf("text"), "encrypted (it needs a password)"),
    "scanned.pdf": (lambda: _pdf("shapes"), "no text layer"),
    "script.html": (
        lambda: (
            b"<html><head><script>" + b"var x = 1;" * 2000 + b"</script></head><body>"
            b"<script>document.write('Subscribe')</script></body></html>"
        ),
        "no readable text in it",
    ),
    "plain.docx": (lambda: b"This is a text file with a .docx name.", "not a Word file"),
    "other.docx": (lambda: _zip({"content.xml": b"<x/>"}), "not a Word file"),
    "bomb.docx": (lambda: _zip_bomb(260), "decompresses to more than 200 MB"),
    "broken.docx": (
        lambda: _zip({"word/document.xml": b"<not xml", "[Content_Types].xml": b"<Types/>"}),
        "cannot be read as DOCX",
    ),
    "notes.md": (lambda: b"\xff\xfe not UTF-8 \x80", "not UTF-8"),
    "empty.html": (lambda: b"   ", "empty file"),
}


def _peak_kb_of_build(corpus: Path, index: Path) -> int:
    """Peak resident memory (KB) of a build of ``corpus`` in a fresh process, that process and
    its children (the guard's converters) together: wait4's rusage covers both."""
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[3]); "
        "from fakes import HashingEncoder; from qa.answer.engine import Engine; "
        "Engine.open(Path(sys.argv[1]), index_dir=Path(sys.argv[2]), encoder=HashingEncoder())"
    )
    tests = Path(__file__).resolve().parent
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(corpus), str(index), str(tests)],
        cwd=tests.parent,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0
    return int(usage.ru_maxrss)


def test_bad_files_are_skipped_with_one_warning_each(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = write_corpus(tmp_path / "corpus", dict(TINY_CORPUS))
    (corpus / "bad").mkdir()
    for name, (make, _) in BAD.items():
        (corpus / "bad" / name).write_bytes(make())
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="qa"):
        engine = Engine.open(corpus, index_dir=tmp_path / "index", encoder=HashingEncoder())
    assert time.perf_counter() - started < 60
    # the same build in a process of its own: it and every child the guard ran in it stayed
    # within the guard's memory limit (measured apart, so no other test's children count)
    assert _peak_kb_of_build(corpus, tmp_path / "index-apart") < 2.2 * 1024**2
    messages = [r.getMessage() for r in caplog.records]
    for name, (_, why) in BAD.items():
        mine = [m for m in messages if m.startswith(f"skipping bad/{name}: ")]
        assert len(mine) == 1 and why in mine[0], (name, mine)
    assert sorted(engine.texts) == sorted(TINY_CORPUS)
    assert engine.ask("When was the lighthouse built?").citations
    # unchanged bad files are neither read nor warned about again at the next refresh
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="qa"):
        (corpus / "pier.txt").write_text("The new pier at Rossmore opened on Friday.\n")
        Engine.open(corpus, index_dir=tmp_path / "index", encoder=HashingEncoder())
    assert not [r for r in caplog.records if "bad/" in r.getMessage()]


def test_a_flate_bomb_stays_within_the_memory_limit() -> None:
    bomb = _flate_bomb(512)  # 512 MB of spaces in ~2.3 MB
    assert len(bomb) < 3_000_000
    with Guard(timeout_s=30, memory_bytes=384 * 1024**2) as guard:
        with pytest.raises(Unreadable, match="memory"):
            guard.blocks("pdf", bomb)
        # the guard goes on with a fresh child for the next file
        assert guard.blocks("md", b"# Title\n\nA paragraph.\n")[1].text == "A paragraph."


def test_the_guard_stops_waiting_at_its_deadline() -> None:
    r, w = os.pipe()
    try:
        with os.fdopen(r, "rb", buffering=0) as stream:
            started = time.perf_counter()
            with pytest.raises(TimeoutError):
                _read(stream, time.monotonic() + 0.3)
            assert time.perf_counter() - started < 5
    finally:
        os.close(w)
