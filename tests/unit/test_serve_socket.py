"""The listening socket of ``jinbao serve --workers N``: accepted connections get TCP_NODELAY.

Without it every keep-alive response waits ~40 ms for the client's delayed ACK (Nagle), which
is what uvicorn's own socket for several workers does (uvicorn issue #3149).
"""

from __future__ import annotations

import asyncio
import os
import socket

from jinbao.web.supervisor import listening_socket


def nodelay_of_accepted(sock: socket.socket) -> int:
    """TCP_NODELAY of a connection asyncio accepts on ``sock``, as uvicorn's workers serve."""
    seen: list[int] = []

    async def main() -> None:
        def accepted(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = writer.get_extra_info("socket")
            seen.append(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname())
            for _ in range(500):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(main())
    assert len(seen) == 1, "no connection was accepted"
    return seen[0]


def test_connections_accepted_on_the_workers_socket_have_nodelay() -> None:
    assert nodelay_of_accepted(listening_socket("127.0.0.1", 0)) == 1


def test_the_socket_handed_to_the_supervisor_keeps_its_protocol_number() -> None:
    """``jinbao serve`` hands the bound socket to :mod:`jinbao.web.supervisor` by descriptor;
    the socket it opens on it must still carry the protocol number."""
    bound = listening_socket("127.0.0.1", 0)
    reopened = socket.socket(fileno=os.dup(bound.fileno()))
    assert reopened.proto == socket.IPPROTO_TCP
    assert nodelay_of_accepted(reopened) == 1


def test_a_socket_without_the_protocol_number_would_not() -> None:
    """The control: what uvicorn's own socket gives (if Python ever changes this, the
    workaround in jinbao.web.supervisor can go)."""
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.bind(("127.0.0.1", 0))
    assert nodelay_of_accepted(plain) == 0
