"""Per-thread capture of ``print()`` output, so concurrent predictions keep separate logs.

``contextlib.redirect_stdout`` swaps a process-global, which would mix the logs of
predictions running side by side. Instead ``sys.stdout``/``sys.stderr`` are wrapped
by a proxy that routes writes from a capturing thread to that thread's sink and
everything else to the stream it wrapped. Test runners replace ``sys.stdout`` at
will (pytest does between test phases), so ``builtins.print`` is also wrapped: it
routes a capturing thread's output the same way and otherwise calls the original.
"""

from __future__ import annotations

import builtins
import contextlib
import sys
import threading
from typing import Any, Callable, Generator, Optional, TextIO

Sink = Callable[[str], None]

_local = threading.local()
_install_lock = threading.Lock()


class _ThreadRoutingStream:
    """A text stream that sends a capturing thread's writes to its sink."""

    def __init__(self, wrapped: TextIO) -> None:
        self._wrapped = wrapped

    def write(self, text: str) -> int:
        sink: Optional[Sink] = getattr(_local, "sink", None)
        if sink is None:
            return self._wrapped.write(text)
        sink(text)
        return len(text)

    def flush(self) -> None:
        if getattr(_local, "sink", None) is None:
            self._wrapped.flush()

    def isatty(self) -> bool:
        return False if getattr(_local, "sink", None) else self._wrapped.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)


_original_print = builtins.print


def _routing_print(
    *args: Any,
    sep: Optional[str] = " ",
    end: Optional[str] = "\n",
    file: Any = None,
    flush: bool = False,
) -> None:
    sink: Optional[Sink] = getattr(_local, "sink", None)
    standard = (
        file is None
        or file is sys.stdout
        or file is sys.stderr
        or isinstance(file, _ThreadRoutingStream)
    )
    if sink is not None and standard:
        sink(
            (" " if sep is None else sep).join(str(arg) for arg in args)
            + ("\n" if end is None else end)
        )
        return
    _original_print(*args, sep=sep, end=end, file=file, flush=flush)


def ensure_installed() -> None:
    """Wrap ``sys.stdout``/``sys.stderr`` unless already wrapped.

    Called before every prediction because test runners (pytest's capture) swap
    these streams between test phases.
    """
    with _install_lock:
        if builtins.print is not _routing_print:
            builtins.print = _routing_print
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if stream is not None and not isinstance(stream, _ThreadRoutingStream):
                setattr(sys, name, _ThreadRoutingStream(stream))


@contextlib.contextmanager
def capture(sink: Sink) -> Generator[None, None, None]:
    """Route this thread's stdout/stderr writes to ``sink`` while the block runs."""
    ensure_installed()
    previous = getattr(_local, "sink", None)
    _local.sink = sink
    try:
        yield
    finally:
        _local.sink = previous
