"""The supervisor of ``jinbao serve --workers N``: N uvicorn worker processes, each accepting on
a listening socket of its own, all bound to one port (``SO_REUSEPORT``).

**Why a socket each.** With one shared socket, every worker's event loop wakes on a new
connection and the first to call ``accept`` takes it, with every other connection then waiting:
clients that connect together land together. Under the load benchmark four runs of five put all
eight keep-alive connections on one of two workers, and that one process, held to one core by
its interpreter lock, served everything: 327–366 business transactions a second, against 463
when they happened to split 2/6 (bench/README, session 26). With a socket per worker the kernel
hands each new connection to one socket by a hash of its addresses, so they spread one by one.

**How it runs.** ``jinbao serve`` checks the settings and the database, binds the sockets
(:func:`listening_sockets`), then replaces its own process with this module (``os.execv``),
handing the sockets over by their file descriptors. The command's process had imported every
command of the CLI and built an app it never served (some 135 MB, session 25), when the only work
left to it is to start the workers and watch them; each worker imports the app itself. This
module imports uvicorn's public parts (``Config``, ``Server``) and nothing of Jinbao's but this
package's name.

- A worker that ends is replaced on the same socket. Connections the kernel hashes to that
  socket meanwhile wait in its queue, since this process keeps the socket open and listening.
- A worker that ends before it served (its app could not be built) stops the whole server with
  exit status 1, rather than being restarted for ever.
- A worker gets SIGTERM from the kernel if this process ends without stopping it (SIGKILL,
  a crash): no worker serves on as an orphan.
- SIGINT or SIGTERM: every worker gets SIGTERM (uvicorn finishes the requests in hand), then
  this process ends. SIGHUP: each worker in turn is replaced by a new one, which serves before
  the old is stopped (new code after an upgrade, no connection refused).

    python -m jinbao.web.supervisor --fds 3,4 --log-level info
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.synchronize import Event

import uvicorn

APP = "jinbao.web.app:from_settings"  # each worker builds its app from the JINBAO_* settings
POLL_SECONDS = 0.25  # how often the workers and the signals received are looked at
STOP_SECONDS = 30.0  # a worker's time to finish its requests once told to stop, then killed
ACCEPTED_GRACE = 0.3  # seconds a stopping worker reads the connections it has just accepted

logger = logging.getLogger("uvicorn.error")
_spawn = multiprocessing.get_context("spawn")  # a worker starts a fresh interpreter, as uvicorn's


def _tcp_socket(family: socket.AddressFamily) -> socket.socket:
    """A TCP socket with its protocol number set: the connections asyncio accepts on it then get
    TCP_NODELAY. A socket with protocol 0 (as uvicorn bound its own until 0.3x) leaves every
    keep-alive request after the first waiting ~40 ms for a delayed ACK (uvicorn issue #3149)."""
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` listening TCP sockets on one port, one per worker, for the kernel to spread new
    connections over (``SO_REUSEPORT``), inheritable, with their protocol number set.

    ``SO_REUSEPORT`` would also let a second server of the same user join the port silently and
    take a share of its connections. So the port is first bound by a probe without it, which
    fails with EADDRINUSE (``OSError``) when anything listens there, another ``jinbao serve``
    included; port 0 picks a free port, which every socket then shares."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with _tcp_socket(family) as probe:
        probe.bind((host, port))
        port = probe.getsockname()[1]
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = _tcp_socket(family)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            # Listening from here on, a connection that arrives before its worker has started
            # (or while it is replaced) waits in the queue instead of being refused.
            sock.listen(2048)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _end_with(supervisor: int) -> bool:
    """Ask Linux to send this worker SIGTERM when its supervisor's process ends, however it ends
    (SIGKILL, a crash), so that no worker serves on as an orphan holding its socket (session 27
    found two, an hour after a test had killed their supervisor). False if the supervisor is
    already gone. Elsewhere than on Linux, only that check."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            logger.warning("Worker [%d] cannot follow its supervisor's end", os.getpid())
    return os.getppid() == supervisor  # after the request: an end before it is seen here


class _Server(uvicorn.Server):
    """uvicorn's server, stopping without dropping a request it has just accepted.

    Told to stop, uvicorn stops accepting and at once closes every connection with no request
    in hand. A connection accepted a moment before, whose request is in the socket's buffer but
    not yet read, counts as one: its client sees the connection reset, its request never
    served. With the workers replaced one by one on a shared socket (SIGHUP), some requests
    in a few hundred were lost that way (session 30: "Server disconnected without sending a
    response"). So a stopping worker first stops accepting, reads for ``ACCEPTED_GRACE``
    seconds, and only then lets uvicorn close what is still idle; the requests read meanwhile
    are answered, their connections then closed."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # no more accepts: the socket's queue is the other workers'
        await asyncio.sleep(ACCEPTED_GRACE)
        await super().shutdown(sockets)


def _serve(config: uvicorn.Config, sock: socket.socket, ready: Event, supervisor: int) -> None:
    """A worker's whole life: serve the app on ``sock``, and set ``ready`` once it serves."""
    if not _end_with(supervisor):
        return
    config.configure_logging()
    server = _Server(config)

    def announce() -> None:
        while not server.started:
            time.sleep(0.05)
        ready.set()

    threading.Thread(target=announce, daemon=True).start()
    # Ctrl-C reaches the whole process group; the supervisor stops the workers itself.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])


class _Worker:
    """One worker process on one socket, started at once."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket) -> None:
        self.ready = _spawn.Event()
        args = (config, sock, self.ready, os.getpid())
        self.process = _spawn.Process(target=_serve, args=args)
        self.process.start()

    def stop(self) -> None:
        if self.process.is_alive() and self.process.pid is not None:
            os.kill(self.process.pid, signal.SIGTERM)

    def join(self) -> None:
        self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            pid = self.process.pid
            logger.error("Worker [%s] did not stop in %.0f s: killed.", pid, STOP_SECONDS)
            self.process.kill()
            self.process.join()

    def wait_ready(self, timeout: float) -> bool:
        """Whether the worker serves within ``timeout`` seconds (False at once if it ends)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready.wait(POLL_SECONDS):
                return True
            if not self.process.is_alive():
                return False
        return False


class Supervisor:
    """Starts a worker per socket and keeps one serving on each until told to stop."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        self.config = config
        self.sockets = sockets
        self.workers: list[_Worker] = []
        self.received: list[int] = []  # signals, handled by the loop (a handler only records)

    def run(self) -> int:
        """Serve until SIGINT or SIGTERM (exit status 0), or until a worker fails to start (1)."""
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, lambda sig, _frame: self.received.append(sig))
        logger.info("Started the supervisor [%d] of %d workers", os.getpid(), len(self.sockets))
        self.workers = [_Worker(self.config, sock) for sock in self.sockets]
        status = 0
        while True:
            time.sleep(POLL_SECONDS)
            received, self.received[:] = list(self.received), []
            if signal.SIGINT in received or signal.SIGTERM in received:
                break
            if signal.SIGHUP in received:
                self.replace_all()
            if not self.keep_serving():
                status = 1
                break
        for worker in self.workers:
            worker.stop()
        for worker in self.workers:
            worker.join()
        logger.info("Stopped the supervisor [%d]", os.getpid())
        return status

    def keep_serving(self) -> bool:
        """Replace every worker that has ended on its own socket; False if one ended before it
        ever served, which a restart would only repeat."""
        for slot, worker in enumerate(self.workers):
            if worker.process.is_alive():
                continue
            worker.process.join()
            pid, code = worker.process.pid, worker.process.exitcode
            if not worker.ready.is_set():
                logger.error("Worker [%s] ended (status %s) before it served: stopping.", pid, code)
                return False
            logger.warning("Worker [%s] ended (status %s): replaced on its socket.", pid, code)
            self.workers[slot] = _Worker(self.config, self.sockets[slot])
        return True

    def replace_all(self) -> None:
        """SIGHUP: each worker in turn replaced by a new one on its socket, the new one serving
        before the old is stopped. A new one that does not serve is stopped, the old kept."""
        for slot, old in enumerate(self.workers):
            new = _Worker(self.config, self.sockets[slot])
            if not new.wait_ready(STOP_SECONDS):
                pid = new.process.pid
                logger.error("Worker [%s] did not start: the workers are kept as they are.", pid)
                new.stop()
                new.join()
                return
            old.stop()
            old.join()
            self.workers[slot] = new
        logger.info("Replaced every worker")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fds", required=True, help="the bound sockets' descriptors, a,b,…")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    # Family, type and protocol number are read back from each descriptor (SO_PROTOCOL).
    sockets = [socket.socket(fileno=int(fd)) for fd in args.fds.split(",")]
    host, port = sockets[0].getsockname()[:2]
    config = uvicorn.Config(
        APP, factory=True, workers=len(sockets), host=host, port=port, log_level=args.log_level
    )
    sys.exit(Supervisor(config, sockets).run())


if __name__ == "__main__":
    main()
