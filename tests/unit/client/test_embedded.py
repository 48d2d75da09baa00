"""The embedded server's port checks, on real sockets: a port whose last server just died (its connections in
TIME-WAIT) is free for the next one; a port is known to be served by a given process, not another program."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from meetdesk.client.embedded import _listens, _port_free


def test_a_port_with_connections_in_time_wait_is_free_for_the_server_again() -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    served.close()  # the server side closes first: its end of the connection stays in TIME-WAIT
    client.close()
    listener.close()

    plain = socket.socket()  # what the old check did: the dead server's port looked taken
    try:
        plain.bind(("127.0.0.1", port))
        plain_bind_worked = True
    except OSError:
        plain_bind_worked = False
    finally:
        plain.close()
    assert not plain_bind_worked
    assert _port_free(port)


def test_a_port_another_program_listens_on_is_not_free() -> None:
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        assert not _port_free(other.getsockname()[1])


def test_who_listens_on_a_port() -> None:
    with socket.socket() as mine:
        mine.bind(("127.0.0.1", 0))
        port = mine.getsockname()[1]
        assert _listens(os.getpid(), port) is False  # bound, not listening yet
        mine.listen()
        assert _listens(os.getpid(), port) is True
        child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
        try:
            assert _listens(child.pid, port) is False  # another process: not the one serving it
        finally:
            assert child.stdin is not None
            child.stdin.close()
            child.wait()
