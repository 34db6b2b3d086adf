"""Check that FileOutput downloads in constant memory.

Serves a generated 200 MB body on 127.0.0.1 (generated chunk by chunk, never held whole) and
downloads it twice: by iterating a FileOutput, and by `shutil.copyfileobj` into a file (the
file interface, which spools past 1 MiB to a temporary file). Prints the peak RSS growth of
each; the target is under 32 MB.

    python scripts/fileoutput_memory.py [--megabytes 200]
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import resource
import shutil
import sys
import tempfile
import threading
from typing import Any

from replicate.client import Client
from replicate.helpers import FileOutput

CHUNK = 64 * 1024
TARGET_MB = 32.0


def chunk_at(index: int) -> bytes:
    """Deterministic content, so both ends can check the bytes without keeping them."""
    return (index.to_bytes(8, "big") * (CHUNK // 8))


def expected_sha256(size: int) -> str:
    digest = hashlib.sha256()
    for index in range(size // CHUNK):
        digest.update(chunk_at(index))
    return digest.hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    size = 0

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(self.size))
        self.end_headers()
        for index in range(self.size // CHUNK):
            self.wfile.write(chunk_at(index))

    def log_message(self, format: str, *args: Any) -> None:
        pass


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux and bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    size = parser.parse_args().megabytes * 1024 * 1024 // CHUNK * CHUNK
    Handler.size = size
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/out.bin"
    client = Client(base_url="https://api.replicate.com")
    want = expected_sha256(size)

    # Warm up: build the HTTP client and import everything before measuring.
    Handler.size = CHUNK
    FileOutput(url, client).read()
    Handler.size = size

    results = []
    baseline = peak_rss_mb()
    digest, received = hashlib.sha256(), 0
    for chunk in FileOutput(url, client):
        digest.update(chunk)
        received += len(chunk)
    assert received == size and digest.hexdigest() == want, "iteration delivered wrong bytes"
    results.append(("iteration", peak_rss_mb() - baseline))

    baseline = peak_rss_mb()
    with tempfile.TemporaryFile() as target, FileOutput(url, client) as output:
        shutil.copyfileobj(output, target, CHUNK)
        target.seek(0)
        digest = hashlib.sha256()
        for block in iter(lambda: target.read(CHUNK), b""):
            digest.update(block)
    assert digest.hexdigest() == want, "copyfileobj delivered wrong bytes"
    results.append(("read into file (copyfileobj)", peak_rss_mb() - baseline))

    server.shutdown()
    print(f"downloaded {size / 1024 / 1024:.0f} MB twice from {url}")
    for name, growth in results:
        verdict = "ok" if growth < TARGET_MB else "OVER TARGET"
        print(f"  {name:30s} peak RSS growth {growth:6.1f} MB  ({verdict}, target < {TARGET_MB:.0f} MB)")
    return 0 if all(growth < TARGET_MB for _, growth in results) else 1


if __name__ == "__main__":
    sys.exit(main())
