"""In-memory state of the emulator: records, change notification and pagination."""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple
from urllib.parse import parse_qsl, urlencode

from ._util import isoformat, utcnow

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "canceled", "aborted"})


@dataclass
class StreamEvent:
    """One server-sent event recorded for a prediction (replayable by id)."""

    id: int
    event: str
    data: str


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Job:
    """A prediction or training: lifecycle, output, logs, SSE events and waiters.

    Worker threads mutate a job; coroutines on the server's event loop wait for
    changes through :meth:`wait_for_change`, woken via ``call_soon_threadsafe``.
    """

    kind = "prediction"

    def __init__(
        self,
        *,
        id: str,
        model: str,
        version: str,
        input: Dict[str, Any],
        urls: Dict[str, str],
        source: str = "api",
    ) -> None:
        self.id = id
        self.model = model
        self.version = version
        self.input = input
        self.urls = urls
        self.source = source
        self.status: str = "starting"
        self.output: Any = None
        self.logs: str = ""
        self.error: Optional[str] = None
        self.created_at: datetime.datetime = utcnow()
        self.started_at: Optional[Any] = None
        self.completed_at: Optional[Any] = None
        self.deadline: Optional[Any] = None
        self.deployment: Optional[str] = None
        self.data_removed = False
        self.metrics: Dict[str, Any] = {}
        self.webhook: Optional[str] = None
        self.webhook_events_filter: Optional[List[str]] = None
        self.events: List[StreamEvent] = []
        self.revision: int = 0
        self.cancel_event: threading.Event = threading.Event()
        self.hooks: List[Callable[[Job, str], None]] = []
        self._lock = threading.RLock()
        self._waiters: List[Tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._log_partial = ""
        self._started_clock: Optional[float] = None
        self._created_clock = time.monotonic()

    # -- state queries -------------------------------------------------
    @property
    def terminal(self) -> bool:
        """Whether the job reached a final status."""
        return self.status in TERMINAL_STATUSES

    def to_json(self) -> Dict[str, Any]:
        """Serialize like the live API (optional timestamps omitted until set)."""
        with self._lock:
            body: Dict[str, Any] = {
                "id": self.id,
                "model": self.model,
                "version": self.version,
                "input": self.input,
                "logs": self.logs,
                "output": _copy_output(self.output),
                "data_removed": self.data_removed,
                "error": self.error,
                "status": self.status,
                "created_at": isoformat(self.created_at),
                "source": self.source,
                "urls": dict(self.urls),
            }
            if self.started_at is not None:
                body["started_at"] = isoformat(self.started_at)
            if self.completed_at is not None:
                body["completed_at"] = isoformat(self.completed_at)
            if self.deadline is not None:
                body["deadline"] = isoformat(self.deadline)
            if self.deployment is not None:
                body["deployment"] = self.deployment
            if self.metrics:
                body["metrics"] = dict(self.metrics)
            return body

    # -- mutation (any thread) -----------------------------------------
    def mark_processing(self) -> bool:
        """Move from ``starting`` to ``processing``; False if already final."""
        with self._lock:
            if self.status != "starting":
                return False
            self.status = "processing"
            self.started_at = utcnow()
            self._started_clock = time.monotonic()
            self._changed()
        self._fire("start")
        return True

    def append_output(self, item: Any, event_data: Optional[str]) -> bool:
        """Append one streamed output item; False if the job already ended."""
        with self._lock:
            if self.terminal:
                return False
            if not isinstance(self.output, list):
                self.output = []
            self.output.append(item)  # pyright: ignore[reportUnknownMemberType]
            if event_data is not None:
                self._add_event("output", event_data)
            self._changed()
        self._fire("output")
        return True

    def set_output(self, value: Any, event_data: Sequence[str] = ()) -> bool:
        """Set the whole output at once (non-iterator models)."""
        with self._lock:
            if self.terminal:
                return False
            self.output = value
            for data in event_data:
                self._add_event("output", data)
            self._changed()
        self._fire("output")
        return True

    def append_log(self, text: str) -> None:
        """Append raw log text; complete lines become ``logs`` SSE events."""
        if not text:
            return
        # tqdm redraws with carriage returns; the API shows each redraw as a line.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        with self._lock:
            if self.terminal:
                return
            self.logs += text
            pending = self._log_partial + text
            *lines, self._log_partial = pending.split("\n")
            for line in lines:
                self._add_event("logs", line)
            self._changed()
        self._fire("logs")

    def finish(self, status: str, error: Optional[str] = None) -> bool:
        """Move to a terminal status once; later calls are no-ops returning False."""
        assert status in TERMINAL_STATUSES
        with self._lock:
            if self.terminal:
                return False
            if self._log_partial:
                self._add_event("logs", self._log_partial)
                self._log_partial = ""
            self.status = status
            self.error = error
            self.completed_at = utcnow()
            now = time.monotonic()
            if self._started_clock is not None:
                self.metrics["predict_time"] = round(now - self._started_clock, 6)
            self.metrics["total_time"] = round(now - self._created_clock, 6)
            if status == "failed":
                self._add_event("error", json.dumps({"detail": error or "Prediction failed"}))
                self._add_event("done", json.dumps({"reason": "error"}))
            elif status in ("canceled", "aborted"):
                self._add_event("done", json.dumps({"reason": "canceled"}))
            else:
                self._add_event("done", "{}")
            self._changed()
        self.cancel_event.set()
        self._fire("completed")
        return True

    def expire(self) -> bool:
        """Deadline passed: ``aborted`` if it never started, else ``canceled``."""
        with self._lock:  # reentrant: finish() takes it again
            return self.finish("aborted" if self.status == "starting" else "canceled")

    # -- waiting (event loop) ------------------------------------------
    async def wait_for_change(self, revision: int, timeout: Optional[float]) -> None:
        """Return once ``self.revision`` differs from ``revision`` or on timeout."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.revision != revision:
                return
            future: asyncio.Future[None] = loop.create_future()
            entry = (loop, future)
            self._waiters.append(entry)
        try:
            await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            with self._lock:
                if entry in self._waiters:
                    self._waiters.remove(entry)

    async def wait_terminal(self, timeout: float) -> None:
        """Wait until the job is terminal or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self.terminal:
                    return
                revision = self.revision
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await self.wait_for_change(revision, remaining)

    def events_after(self, last_id: int) -> Tuple[List[StreamEvent], int, bool]:
        """Return (events with id > last_id, current revision, terminal)."""
        with self._lock:
            fresh = [event for event in self.events if event.id > last_id]
            return fresh, self.revision, self.terminal

    # -- internals -----------------------------------------------------
    def _add_event(self, name: str, data: str) -> None:
        self.events.append(StreamEvent(len(self.events) + 1, name, data))

    def _changed(self) -> None:
        self.revision += 1
        waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            try:
                loop.call_soon_threadsafe(_resolve, future)
            except RuntimeError:  # the loop closed: the waiter is gone
                pass

    def _fire(self, event: str) -> None:
        for hook in list(self.hooks):
            hook(self, event)


class Prediction(Job):
    """A prediction record."""

    kind = "prediction"


class Training(Job):
    """A training record (a job that produces a new model version)."""

    kind = "training"

    def __init__(self, *, destination: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.destination = destination

    def to_json(self) -> Dict[str, Any]:
        """Serialize like the live API, adding the destination."""
        body = super().to_json()
        body["destination"] = self.destination
        if body.get("output") is None:
            # The spec's training output is an object, not nullable: omit it until there is one.
            body.pop("output", None)
        return body


def _copy_output(output: Any) -> Any:
    return list(output) if isinstance(output, list) else output  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]


@dataclass
class VersionRecord:
    """A model version: id, schema and the Python callable that runs it."""

    id: str
    model: str
    predict: Optional[Callable[..., Any]]
    openapi_schema: Dict[str, Any]
    cog_version: str = "0.9.0"
    created_at: Any = field(default_factory=utcnow)

    def to_json(self) -> Dict[str, Any]:
        """Serialize like ``GET /v1/models/{o}/{n}/versions/{id}``."""
        return {
            "id": self.id,
            "created_at": isoformat(self.created_at),
            "cog_version": self.cog_version,
            "openapi_schema": self.openapi_schema,
        }


@dataclass
class ModelRecord:
    """A model and its versions (newest first)."""

    owner: str
    name: str
    description: Optional[str] = None
    visibility: str = "public"
    github_url: Optional[str] = None
    paper_url: Optional[str] = None
    license_url: Optional[str] = None
    weights_url: Optional[str] = None
    cover_image_url: Optional[str] = None
    hardware: str = "cpu"
    readme: Optional[str] = None
    is_official: bool = False
    run_count: int = 0
    default_example: Optional[Dict[str, Any]] = None
    versions: List[VersionRecord] = field(default_factory=list)  # pyright: ignore[reportUnknownVariableType]
    created_at: Any = field(default_factory=utcnow)

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    @property
    def latest_version(self) -> Optional[VersionRecord]:
        """The newest version, if any."""
        return self.versions[0] if self.versions else None

    def to_json(self, web_base: str) -> Dict[str, Any]:
        """Serialize like ``GET /v1/models/{o}/{n}``."""
        latest = self.latest_version
        return {
            "url": f"{web_base}/{self.owner}/{self.name}",
            "owner": self.owner,
            "name": self.name,
            "description": self.description,
            "visibility": self.visibility,
            "github_url": self.github_url,
            "paper_url": self.paper_url,
            "license_url": self.license_url,
            "run_count": self.run_count,
            "cover_image_url": self.cover_image_url,
            "default_example": self.default_example,
            "latest_version": latest.to_json() if latest else None,
            "is_official": self.is_official,
            "created_at": isoformat(self.created_at),
        }


@dataclass
class FileRecord:
    """An uploaded file (content kept on disk)."""

    id: str
    name: str
    content_type: str
    size: int
    sha256: str
    md5: str
    path: str
    metadata: Dict[str, Any]
    owner: str
    created_at: Any = field(default_factory=utcnow)
    expires_at: Any = None

    def to_json(self, api_base: str) -> Dict[str, Any]:
        """Serialize like ``GET /v1/files/{id}``."""
        return {
            "id": self.id,
            "name": self.name,
            "content_type": self.content_type,
            "size": self.size,
            "etag": self.md5,
            "checksums": {"sha256": self.sha256, "md5": self.md5},
            "metadata": self.metadata,
            "created_at": isoformat(self.created_at),
            "expires_at": isoformat(self.expires_at),
            "urls": {"get": f"{api_base}/v1/files/{self.id}"},
        }


@dataclass
class DeploymentRecord:
    """A deployment and its current release."""

    owner: str
    name: str
    model: str
    version: str
    hardware: str = "cpu"
    min_instances: int = 0
    max_instances: int = 1
    release_number: int = 1
    release_created_at: Any = field(default_factory=utcnow)
    created_by: Dict[str, Any] = field(default_factory=dict)  # pyright: ignore[reportUnknownVariableType]

    def to_json(self) -> Dict[str, Any]:
        """Serialize like ``GET /v1/deployments/{o}/{n}``."""
        return {
            "owner": self.owner,
            "name": self.name,
            "current_release": {
                "number": self.release_number,
                "model": self.model,
                "version": self.version,
                "created_at": isoformat(self.release_created_at),
                "created_by": self.created_by,
                "configuration": {
                    "hardware": self.hardware,
                    "min_instances": self.min_instances,
                    "max_instances": self.max_instances,
                },
            },
        }


@dataclass
class CollectionRecord:
    """A curated collection of models (referenced by ``owner/name``)."""

    slug: str
    name: str
    description: str
    models: List[str] = field(default_factory=list)  # pyright: ignore[reportUnknownVariableType]
    full_description: Optional[str] = None


DEFAULT_HARDWARE = [
    {"sku": "cpu", "name": "CPU"},
    {"sku": "gpu-t4", "name": "Nvidia T4 GPU"},
    {"sku": "gpu-a40-small", "name": "Nvidia A40 GPU"},
    {"sku": "gpu-a40-large", "name": "Nvidia A40 (Large) GPU"},
    {"sku": "gpu-l40s", "name": "Nvidia L40S GPU"},
    {"sku": "gpu-a100-large", "name": "Nvidia A100 (80GB) GPU"},
    {"sku": "gpu-h100", "name": "Nvidia H100 GPU"},
]


def default_account() -> Dict[str, Any]:
    """The account returned by ``GET /v1/account`` unless a test seeds another."""
    return {
        "type": "user",
        "username": "emulator",
        "name": "Emulator User",
        "github_url": "https://github.com/replicate",
        "avatar_url": "https://avatars.githubusercontent.com/u/0",
    }


class Store:
    """All emulator state. Mutate under ``lock`` when touching several maps."""

    def __init__(self) -> None:
        self.lock: threading.RLock = threading.RLock()
        self.predictions: Dict[str, Prediction] = {}
        self.trainings: Dict[str, Training] = {}
        self.files: Dict[str, FileRecord] = {}
        self.models: Dict[str, ModelRecord] = {}
        self.deployments: Dict[str, DeploymentRecord] = {}
        self.collections: Dict[str, CollectionRecord] = {}
        self.hardware: List[Dict[str, str]] = [dict(item) for item in DEFAULT_HARDWARE]
        self.account: Dict[str, Any] = default_account()
        self.examples: Dict[str, List[Dict[str, Any]]] = {}

    def find_version(self, version_id: str) -> Optional[Tuple[ModelRecord, VersionRecord]]:
        """Look a version up by id across all models."""
        with self.lock:
            for model in self.models.values():
                for version in model.versions:
                    if version.id == version_id:
                        return model, version
        return None

    def newest_first(self, records: Dict[str, Job]) -> List[Job]:
        """Jobs sorted by creation time, newest first."""
        with self.lock:
            return sorted(records.values(), key=lambda job: job.created_at, reverse=True)


# -- pagination ---------------------------------------------------------------


def encode_cursor(offset: int) -> str:
    """Opaque cursor for an offset (base64 like the live API's cursors)."""
    return base64.urlsafe_b64encode(f"o={offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: Optional[str]) -> int:
    """Offset from a cursor; malformed cursors raise ValueError."""
    if not cursor:
        return 0
    padded = cursor + "=" * (-len(cursor) % 4)
    text = base64.urlsafe_b64decode(padded.encode()).decode()
    if not text.startswith("o="):
        raise ValueError("bad cursor")
    offset = int(text[2:])
    if offset < 0:
        raise ValueError("bad cursor")
    return offset


def paginate(
    items: Sequence[Any],
    *,
    base_url: str,
    path: str,
    query: str,
    page_size: int,
    serialize: Callable[[Any], Any],
) -> Dict[str, Any]:
    """Return ``{"previous", "next", "results"}`` with full-URL cursors."""
    params = [(key, value) for key, value in parse_qsl(query, keep_blank_values=True)]
    cursor = next((value for key, value in params if key == "cursor"), None)
    offset = decode_cursor(cursor)
    others = [(key, value) for key, value in params if key != "cursor"]

    def page_url(new_offset: int) -> str:
        return f"{base_url}{path}?" + urlencode([*others, ("cursor", encode_cursor(new_offset))])

    page = list(items[offset : offset + page_size])
    next_url = page_url(offset + page_size) if offset + page_size < len(items) else None
    previous_url = page_url(max(0, offset - page_size)) if offset > 0 else None
    return {
        "previous": previous_url,
        "next": next_url,
        "results": [serialize(item) for item in page],
    }
