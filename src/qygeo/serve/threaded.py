"""Running the app on a loopback port in a background thread (tests, benchmark)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

#: Seconds to wait for the server to start listening.
START_TIMEOUT_S = 30.0


@contextlib.contextmanager
def running(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve *app* with uvicorn in a thread; yield its base URL; stop it on exit.

    Port 0 takes a free port, read back from the listening socket.
    """
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="qygeo-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the qygeo serve test server did not start")
        time.sleep(0.02)
    sock = server.servers[0].sockets[0]
    bound = sock.getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
