"""Receive a prediction's webhook and accept it only if its signature is valid.

Against the bundled emulator (no token, no network), which signs and sends webhooks:

    python -m replicate.emulator --port 0 -- python examples/webhook_receiver.py

Against Replicate, the receiver must be reachable from the internet: run it behind a tunnel or
on a public host, and pass that address with ``--public-url https://.../hook``.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Dict, Mapping, Optional, Sequence, Type

import replicate
from replicate.webhook import Webhooks, WebhookSigningSecret, WebhookValidationError


class WebhookReceiver:
    """An HTTP server that answers 200 to webhooks signed with `secret` and 403 to the rest."""

    def __init__(
        self, secret: WebhookSigningSecret, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.secret = secret
        self.received: queue.Queue[Dict[str, Any]] = queue.Queue()  # verified payloads
        self.rejected = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.handle(dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the terminal for the example's own output

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def handle(self, headers: Mapping[str, str], body: bytes) -> int:
        """Check the signature before trusting a byte of the body; return the HTTP status."""
        try:
            Webhooks.validate(headers=headers, body=body, secret=self.secret)
        except WebhookValidationError as error:
            self.rejected += 1
            print(f"rejected a webhook: {type(error).__name__}: {error}", file=sys.stderr)
            return 403
        self.received.put(json.loads(body))
        return 200

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--model", default="replicate/hello-world")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    parser.add_argument("--public-url", help="the address Replicate should send webhooks to")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for it")
    args = parser.parse_args(argv)

    # The account's signing secret; keep it out of logs like the API token.
    secret = replicate.webhooks.default.secret()
    version = replicate.models.get(args.model).latest_version
    if version is None:
        parser.error(f"{args.model} has no version to run")

    with WebhookReceiver(secret, port=args.port) as receiver:
        prediction = replicate.predictions.create(
            version=version,
            input={"text": "webhooks"},
            webhook=args.public_url or receiver.url,
            webhook_events_filter=["completed"],  # one webhook, when the prediction finishes
        )
        print(f"created prediction {prediction.id}; waiting for its webhook at {receiver.url}")
        try:
            payload = receiver.received.get(timeout=args.timeout)
        except queue.Empty:
            print(f"no valid webhook within {args.timeout} s", file=sys.stderr)
            return 1
    print(
        f"verified webhook for {payload['id']}: {payload['status']}, output {payload['output']!r}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
