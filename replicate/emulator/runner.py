"""Runs model functions for predictions in worker threads.

Each job gets its own daemon thread, so slow models never block the server's event
loop and a thousand held ``Prefer: wait`` requests can be in flight at once.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import io
import json
import pathlib
import threading
import traceback
import typing
from typing import Any, Callable, Dict

from . import logcapture
from .schema import accepts_var_kwargs, parameter_annotations, parameter_defaults
from .state import Job

#: Turns a file-like output value (Path, bytes, file object) into a delivery URL.
Deliver = Callable[[Any], str]
#: Turns a file input URL into a local path, writing into the given directory.
Fetch = Callable[[str, str], pathlib.Path]


class Runner:
    """Executes predict functions and feeds their output, logs and status into jobs."""

    def __init__(
        self,
        deliver: Deliver,
        fetch: Fetch,
        input_dir: Callable[[Job], str],
        startup_delay: Callable[[], float],
    ) -> None:
        self.deliver = deliver
        self.fetch = fetch
        self.input_dir = input_dir
        self.startup_delay = startup_delay

    def start(self, job: Job, fn: Callable[..., Any], inputs: Dict[str, Any]) -> threading.Thread:
        """Run ``fn(**inputs)`` for ``job`` on a new daemon thread."""
        thread = threading.Thread(
            target=self._run,
            args=(job, fn, inputs),
            name=f"emulator-{job.kind}-{job.id}",
            daemon=True,
        )
        thread.start()
        return thread

    # -- the job thread -----------------------------------------------------
    def _run(self, job: Job, fn: Callable[..., Any], inputs: Dict[str, Any]) -> None:
        delay = self.startup_delay()
        if delay > 0 and job.cancel_event.wait(delay):
            return
        if not job.mark_processing():
            return
        with logcapture.capture(job.append_log):
            try:
                kwargs = self._arguments(job, fn, inputs)
                if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
                    asyncio.run(self._run_async(job, fn, kwargs))
                else:
                    self._consume(job, fn(**kwargs))
            except Exception as exc:
                if not job.terminal:
                    print(traceback.format_exc(), end="")
                job.finish("failed", error=str(exc) or type(exc).__name__)
                return
        job.finish("succeeded")

    def _consume(self, job: Job, result: Any) -> None:
        if _is_stream(result):
            try:
                for item in result:
                    if job.cancel_event.is_set():
                        break
                    self._emit_item(job, item)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()  # cooperative stop: GeneratorExit inside the model
        elif not job.cancel_event.is_set():
            self._emit_whole(job, result)

    async def _run_async(self, job: Job, fn: Callable[..., Any], kwargs: Dict[str, Any]) -> None:
        if inspect.isasyncgenfunction(fn):
            agen = fn(**kwargs)
            try:
                async for item in agen:
                    if job.cancel_event.is_set():
                        break
                    self._emit_item(job, item)
            finally:
                await agen.aclose()
            return
        task = asyncio.ensure_future(fn(**kwargs))
        while not task.done():
            await asyncio.wait({task}, timeout=0.05)
            if job.cancel_event.is_set() and not task.done():
                task.cancel()
                return
        self._consume(job, task.result())

    def _emit_item(self, job: Job, item: Any) -> None:
        wire = self.to_wire(item)
        job.append_output(wire, event_data(wire))

    def _emit_whole(self, job: Job, result: Any) -> None:
        wire = self.to_wire(result)
        items = wire if isinstance(wire, list) else [wire]  # pyright: ignore[reportUnknownVariableType]
        job.set_output(wire, [event_data(item) for item in items if item is not None])  # pyright: ignore[reportUnknownVariableType]

    # -- conversions ---------------------------------------------------------
    def to_wire(self, value: Any) -> Any:
        """JSON-ready output: files become delivery URLs, containers are walked."""
        if isinstance(value, (pathlib.PurePath, bytes, bytearray, io.IOBase)):
            return self.deliver(value)
        if isinstance(value, dict):
            return {str(key): self.to_wire(item) for key, item in value.items()}  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
        if isinstance(value, (list, tuple)):
            return [self.to_wire(item) for item in value]  # pyright: ignore[reportUnknownVariableType]
        if isinstance(value, enum.Enum):
            return value.value
        dump = getattr(value, "model_dump", None) or getattr(value, "dict", None)
        if callable(dump) and not isinstance(value, type):
            return self.to_wire(dump())
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        return str(value)

    def _arguments(
        self, job: Job, fn: Callable[..., Any], inputs: Dict[str, Any]
    ) -> Dict[str, Any]:
        annotations = parameter_annotations(fn)
        kwargs = dict(parameter_defaults(fn))
        for name, value in inputs.items():
            if name in annotations:
                kwargs[name] = self._coerce(job, value, annotations[name])
            elif accepts_var_kwargs(fn):
                kwargs[name] = value
        return kwargs

    def _coerce(self, job: Job, value: Any, annotation: Any) -> Any:
        if value is None:
            return None
        origin = typing.get_origin(annotation)
        if origin in (list, tuple, set) and isinstance(value, list):
            args = typing.get_args(annotation)
            return [self._coerce(job, item, args[0] if args else Any) for item in value]  # pyright: ignore[reportUnknownVariableType]
        is_path = isinstance(annotation, type) and issubclass(annotation, pathlib.PurePath)
        if (is_path or annotation is bytes) and isinstance(value, str):
            path = self.fetch(value, self.input_dir(job))
            return path.read_bytes() if annotation is bytes else path
        if annotation is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if annotation is int and isinstance(value, float) and value.is_integer():
            return int(value)
        return value


def _is_stream(result: Any) -> bool:
    if isinstance(result, (str, bytes, bytearray, dict, list, tuple, io.IOBase)):
        return False
    return inspect.isgenerator(result) or isinstance(result, typing.Iterator)


def event_data(item: Any) -> str:
    """The SSE ``data`` for an output item: text as is, anything else as JSON."""
    return item if isinstance(item, str) else json.dumps(item)
