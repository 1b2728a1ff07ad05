"""The supervisor of ``jinbao serve --workers N``: N uvicorn worker processes on one socket.

``jinbao serve`` checks the settings and the database, binds the socket, then replaces its own
process with this module (``os.execv``), handing the socket over by its file descriptor. The
command's process had imported every command of the CLI and built an app it never served (some
135 MB, a third of the whole server's memory under the load test, session 25), when the only
work left to it is to start the workers and watch them; each worker imports the app itself.
This module imports uvicorn and nothing of Jinbao's but this package's name.

    python -m jinbao.web.supervisor --fd 3 --workers 2 --log-level info
"""

from __future__ import annotations

import argparse
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "jinbao.web.app:from_settings"  # each worker builds its app from the JINBAO_* settings


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP listening socket the worker processes inherit, with its protocol number set (the
    connections it accepts then get TCP_NODELAY from asyncio).

    Bound by ``jinbao serve`` rather than by uvicorn: uvicorn's own leaves the protocol number
    at 0, so asyncio does not set TCP_NODELAY on the accepted connections and every keep-alive
    request after the first waits ~40 ms for a delayed ACK (uvicorn issue #3149)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="the bound socket's descriptor")
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    # Family, type and protocol number are read back from the descriptor (SO_PROTOCOL).
    sock = socket.socket(fileno=args.fd)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        APP, factory=True, workers=args.workers, host=host, port=port, log_level=args.log_level
    )
    Multiprocess(config, sockets=[sock]).run()


if __name__ == "__main__":
    main()
