"""The UDP relay loop the self-test's tools share.

A client sends to 127.0.0.1:LISTEN_PORT; each datagram is forwarded to
127.0.0.1:SERVER_PORT from a second socket (an ephemeral port), and the
server's answers go back to the last client.  `each(data, up, addr)` sees
every datagram first (up: client to server) and returns the bytes to forward.
"""
import select
import socket
import time


def relay(listen_port, server_port, seconds, each):
    """Runs for `seconds`; returns the UDP port the server saw the relay on."""
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", listen_port))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind(("127.0.0.1", 0))
    back.connect(("127.0.0.1", server_port))
    client = None
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([front, back], [], [], 0.1)
        for s in ready:
            data, addr = s.recvfrom(65536)
            up = s is front
            data = each(data, up, addr)
            if up:
                client = addr
                back.send(data)
            elif client is not None:
                front.sendto(data, client)
    return back.getsockname()[1]
