"""Running the sandbox: a real uvicorn server on 127.0.0.1, in a background thread.

`with Sandbox() as sb:` gives a listening server and stops it on exit. The socket is bound before the
thread starts, so the port is known up front and readiness is polled with a deadline, never slept on.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from dataclasses import dataclass, field

import uvicorn

from .app import build_app
from .faults import FaultInjector, FaultOptions
from .http import RequestCounters, SandboxOptions
from .site import Site, load_demo_site

__all__ = ["Sandbox"]


@dataclass
class Sandbox:
    site: Site = field(default_factory=load_demo_site)
    options: SandboxOptions = field(default_factory=SandboxOptions)
    port: int = 0
    counters: RequestCounters = field(default_factory=RequestCounters)
    faults: FaultOptions = field(default_factory=FaultOptions)  # all off unless given

    def __post_init__(self) -> None:
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.faults_runtime: FaultInjector | None = None  # the live middleware, once started

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The site URL a user would configure: Cloud's ends in /wiki."""
        return self.root_url + ("/wiki" if self.options.flavor == "cloud" else "")

    @property
    def login(self) -> str:
        """What the API user types as user name: its e-mail on Cloud, its user name on Data Center."""
        user = self.site.users[self.options.api_user]
        return user.email if self.options.cloud else user.username

    @property
    def basic_auth(self) -> tuple[str, str]:
        return (self.login, self.options.api_token)

    def start(self, ready_timeout: float = 15.0) -> Sandbox:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        app = build_app(self.site, self.options, self.counters)
        # Always wrapped (a no-op when off) so a test can start a fault storm mid-run with set_faults.
        self.faults_runtime = FaultInjector(app, self.faults, self.counters)
        config = uvicorn.Config(self.faults_runtime, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"sandbox-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + ready_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"sandbox on port {self.port} exited during start-up")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"sandbox on port {self.port} not ready after {ready_timeout}s")
            time.sleep(0.01)
        return self

    def set_faults(self, faults: FaultOptions) -> None:
        """Change the injected faults, also while running (reseeds the RNG, refills the bucket)."""
        self.faults = faults
        if self.faults_runtime is not None:
            self.faults_runtime.set_options(faults)

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise RuntimeError(f"sandbox on port {self.port} did not stop within {timeout}s")
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_forever(self) -> None:
        """Block until interrupted (Ctrl-C or SIGTERM), for the `km sandbox` command."""
        assert self._thread is not None
        if threading.current_thread() is threading.main_thread():
            # A shell that starts us in the background (or a supervisor) may hand us SIGINT and SIGTERM
            # ignored, and Python keeps an inherited "ignore": stopping must not depend on that.
            signal.signal(signal.SIGINT, _interrupt)
            signal.signal(signal.SIGTERM, _interrupt)
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)
