"""The listening sockets of ``jinbao serve --workers N``: one per worker on one port, new
connections spread over them by the kernel, a port already served refused, and accepted
connections with TCP_NODELAY.

Without TCP_NODELAY every keep-alive response waits ~40 ms for the client's delayed ACK
(Nagle), which is what uvicorn's own socket for several workers did (uvicorn issue #3149).
"""

from __future__ import annotations

import asyncio
import os
import socket

import pytest

from jinbao.web.supervisor import listening_sockets


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
    assert nodelay_of_accepted(listening_sockets("127.0.0.1", 0, 1)[0]) == 1


def test_the_socket_handed_to_the_supervisor_keeps_its_protocol_number() -> None:
    """``jinbao serve`` hands the bound sockets to :mod:`jinbao.web.supervisor` by descriptor;
    the socket it opens on each must still carry the protocol number."""
    bound = listening_sockets("127.0.0.1", 0, 2)[1]
    reopened = socket.socket(fileno=os.dup(bound.fileno()))
    assert reopened.proto == socket.IPPROTO_TCP
    assert nodelay_of_accepted(reopened) == 1


def test_a_socket_without_the_protocol_number_would_not() -> None:
    """The control: what uvicorn's own socket gives (if Python ever changes this, the
    workaround in jinbao.web.supervisor can go)."""
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.bind(("127.0.0.1", 0))
    assert nodelay_of_accepted(plain) == 0


def test_the_workers_sockets_share_one_port_and_the_kernel_spreads_connections() -> None:
    """64 connections made at once reach both sockets. With one shared socket, the first worker
    to wake took every waiting connection (all eight of the load benchmark's, four runs of five)."""
    sockets = listening_sockets("127.0.0.1", 0, 2)
    port = sockets[0].getsockname()[1]
    assert sockets[1].getsockname()[1] == port
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
    accepted = []
    for sock in sockets:
        sock.setblocking(False)
        count = 0
        while True:
            try:
                conn, _ = sock.accept()
            except BlockingIOError:
                break
            conn.close()
            count += 1
        accepted.append(count)
    for client in clients:
        client.close()
    assert sum(accepted) == 64
    assert min(accepted) > 0  # all on one socket has a chance of 2 in 2**64


def test_a_port_already_served_is_refused() -> None:
    """By anything listening there, and by another ``jinbao serve``'s sockets too: without the
    probe, SO_REUSEPORT would let the second server join the first's port and take a share of
    its connections."""
    plain = socket.socket()
    plain.bind(("127.0.0.1", 0))
    plain.listen()
    with pytest.raises(OSError, match="Address already in use"):
        listening_sockets("127.0.0.1", plain.getsockname()[1], 2)

    first = listening_sockets("127.0.0.1", 0, 2)
    with pytest.raises(OSError, match="Address already in use"):
        listening_sockets("127.0.0.1", first[0].getsockname()[1], 2)
