"""Run an ASGI app on a real uvicorn server in a background thread (tests, demos)."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

import uvicorn


class ThreadedServer:
    """A uvicorn server on ``host`` in a daemon thread; ``port=0`` picks a free port.

    ``start()`` returns once the server accepts connections and gives its base URL
    (``http://127.0.0.1:54321``); ``stop()`` shuts it down and joins the thread. Usable as a
    context manager.
    """

    def __init__(
        self, app: Any, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; raise ``RuntimeError`` if the server is not up within ``timeout``."""
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            log_level=self.log_level,
            lifespan="off",
            access_log=False,
        )
        server = uvicorn.Server(config)
        # A server in a thread must not touch the main thread's signal handlers.
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._server = server
        self._thread = threading.Thread(target=server.run, daemon=True, name="emulator")
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"emulator server did not start on {self.base_url}")
            time.sleep(0.01)
        # With port 0 the operating system picked a free port: read it back.
        self.port = server.servers[0].sockets[0].getsockname()[1]
        return self.base_url

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._server = self._thread = None

    def __enter__(self) -> ThreadedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0) -> ThreadedServer:
    """Start ``app`` on a background uvicorn server and return it (call ``.stop()`` when done)."""
    server = ThreadedServer(app, host=host, port=port)
    server.start()
    return server
