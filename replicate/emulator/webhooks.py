"""Webhook delivery with Standard Webhooks signatures and output/logs throttling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import httpx

from .scheduler import Scheduler, Timer
from .state import Job

logger: logging.Logger = logging.getLogger(__name__)

ALL_EVENTS = ("start", "output", "logs", "completed")


class WebhookSigner:
    """Holds the default webhook secret (``whsec_<base64 key>``) and signs payloads."""

    def __init__(self, key: Optional[bytes] = None) -> None:
        self.key: bytes = key or secrets.token_bytes(24)

    @property
    def secret(self) -> str:
        """The value of ``GET /v1/webhooks/default/secret`` ``key``."""
        return "whsec_" + base64.b64encode(self.key).decode()

    def signature(self, msg_id: str, timestamp: int, body: bytes) -> str:
        """``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``."""
        signed = f"{msg_id}.{timestamp}.".encode() + body
        digest = hmac.new(self.key, signed, hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode()

    def headers(self, body: bytes) -> Dict[str, str]:
        """Standard Webhooks headers for a new message."""
        msg_id = "msg_" + secrets.token_hex(12)
        timestamp = int(time.time())
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": self.signature(msg_id, timestamp, body),
        }


@dataclass
class WebhookDelivery:
    """A webhook the emulator sent (or tried to send)."""

    url: str
    event: str
    job_id: str
    body: bytes
    headers: Dict[str, str]
    status_code: Optional[int] = None
    error: Optional[str] = None
    attempts: int = 0
    sent_at: float = field(default_factory=time.time)

    def json(self) -> Any:
        """The delivered body, decoded."""
        return json.loads(self.body)


@dataclass
class _Throttle:
    last_sent: float = float("-inf")
    pending: Optional[Timer] = None


class WebhookDispatcher:
    """Queues webhook deliveries for jobs and sends them from one background thread."""

    def __init__(
        self,
        signer: WebhookSigner,
        scheduler: Scheduler,
        *,
        throttle: float = 0.5,
        timeout: float = 5.0,
        attempts: int = 3,
    ) -> None:
        self.signer = signer
        self.scheduler = scheduler
        self.throttle = throttle
        self.timeout = timeout
        self.attempts = attempts
        self.deliveries: List[WebhookDelivery] = []
        self._changed = threading.Condition()
        self._queue: queue.Queue[Optional[Callable[[], None]]] = queue.Queue()
        self._throttles: Dict[str, _Throttle] = {}
        self._lock = threading.Lock()
        self._client: Optional[httpx.Client] = None
        self._thread = threading.Thread(target=self._run, name="emulator-webhooks", daemon=True)
        self._thread.start()

    def attach(self, job: Job) -> None:
        """Start delivering ``job``'s events to its webhook URL."""
        if job.webhook:
            job.hooks.append(self._on_event)

    def wait_for(self, predicate: Callable[[List[WebhookDelivery]], bool], timeout: float) -> bool:
        """Block until ``predicate(deliveries)`` holds or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.deliveries):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def stop(self) -> None:
        """Stop the delivery thread (undelivered webhooks are dropped)."""
        self._queue.put(None)
        self._thread.join(timeout=2)

    # -- event handling ------------------------------------------------------
    def _on_event(self, job: Job, event: str) -> None:
        wanted = job.webhook_events_filter or ALL_EVENTS
        if event == "completed":
            self._cancel_pending(job.id)
            if "completed" in wanted:
                self._enqueue(job, event)
            return
        if event not in wanted:
            return
        if event == "start":
            self._enqueue(job, event)
            return
        self._throttled(job, event)

    def _throttled(self, job: Job, event: str) -> None:
        with self._lock:
            state = self._throttles.setdefault(job.id, _Throttle())
            if state.pending is not None:
                return  # a send is already scheduled; it will carry this change too
            wait = state.last_sent + self.throttle - time.monotonic()
            if wait <= 0:
                state.last_sent = time.monotonic()
            else:
                state.pending = self.scheduler.call_later(wait, lambda: self._flush(job, event))
                return
        self._enqueue(job, event)

    def _flush(self, job: Job, event: str) -> None:
        with self._lock:
            state = self._throttles.get(job.id)
            if state is None or state.pending is None:
                return
            state.pending = None
            state.last_sent = time.monotonic()
        if not job.terminal:  # the completed webhook carries the final state
            self._enqueue(job, event)

    def _cancel_pending(self, job_id: str) -> None:
        with self._lock:
            state = self._throttles.pop(job_id, None)
        if state is not None and state.pending is not None:
            state.pending.cancel()

    def _enqueue(self, job: Job, event: str) -> None:
        url = job.webhook or ""
        body = json.dumps(job.to_json()).encode()
        self._queue.put(lambda: self._deliver(url, event, job.id, body))

    # -- sending -----------------------------------------------------------
    def _run(self) -> None:
        self._client = httpx.Client(timeout=self.timeout, follow_redirects=False)
        try:
            while True:
                task = self._queue.get()
                if task is None:
                    return
                task()
        finally:
            self._client.close()

    def _deliver(self, url: str, event: str, job_id: str, body: bytes) -> None:
        headers = {"content-type": "application/json", "user-agent": "replicate-emulator-webhooks"}
        headers.update(self.signer.headers(body))
        record = WebhookDelivery(url=url, event=event, job_id=job_id, body=body, headers=headers)
        if not url.startswith(("http://", "https://")):
            record.error = "webhook URL must be http(s)"
        else:
            self._post(record)
        with self._changed:
            self.deliveries.append(record)
            self._changed.notify_all()

    def _post(self, record: WebhookDelivery) -> None:
        assert self._client is not None
        for attempt in range(1, self.attempts + 1):
            record.attempts = attempt
            try:
                response = self._client.post(
                    record.url, content=record.body, headers=record.headers
                )
                record.status_code, record.error = response.status_code, None
                if response.status_code < 500:
                    return
            except httpx.HTTPError as exc:
                record.error = f"{type(exc).__name__}: {exc}"
            time.sleep(0.1 * attempt)
