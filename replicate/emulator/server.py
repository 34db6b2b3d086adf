"""Runs an ASGI app with uvicorn on a loopback socket in a daemon thread."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import Any, Optional

import uvicorn

from .faults import install_log_filter


def check_loopback(host: str) -> None:
    """Refuse to bind anything but a loopback address."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the emulator only binds loopback addresses, not {host!r}")


class ServerThread:
    """A uvicorn server bound to ``host:port`` (port 0 = any free port)."""

    def __init__(
        self, app: Any, host: str = "127.0.0.1", port: int = 0, name: str = "emulator"
    ) -> None:
        check_loopback(host)
        self.host = host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto must be IPPROTO_TCP: asyncio only enables TCP_NODELAY on accepted
        # sockets whose proto says TCP, and without it every response that is
        # written in two parts stalls ~40 ms on delayed ACKs.
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        install_log_filter()
        config = uvicorn.Config(
            app,
            lifespan="off",
            access_log=False,
            log_level="warning",
            http="h11",
            ws="none",
            loop="asyncio",
            limit_concurrency=10_000,
            backlog=4096,
            timeout_keep_alive=15,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name=f"{name}-server", daemon=True)
        self._error: Optional[BaseException] = None

    @property
    def url(self) -> str:
        """``http://host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        """Start serving and wait until the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"emulator server failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("emulator server did not start in time")
            time.sleep(0.005)
        return self

    def request_stop(self) -> None:
        """Ask the server to exit without waiting (see :meth:`join`)."""
        self._server.should_exit = True

    def join(self, timeout: float = 3.0) -> None:
        """Wait for the server to exit; cut lingering connections after a short grace."""
        self._thread.join(timeout=0.5)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=timeout)
        try:
            self._socket.close()
        except OSError:
            pass

    def stop(self, timeout: float = 3.0) -> None:
        """Stop and wait."""
        self.request_stop()
        self.join(timeout)

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # surfaced by start()
            self._error = exc
