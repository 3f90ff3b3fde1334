"""Bind the listening socket before anything else starts, so a busy port or a bad host fails at once.

Both ``serve`` (uvicorn) and ``demo`` (moto's werkzeug server) take the bound
socket from here: a bind error is an ``error:`` line and exit code 1, never a
scan that runs first nor a server thread that dies while the caller waits.
"""

from __future__ import annotations

import errno
import socket

from ..errors import BindError

# Connections the kernel queues before they are accepted. asyncio accepts up to this many per wake-up
# before the protocol can refuse any, so it also bounds how far a flood can pass --max-connections for a
# moment. uvicorn's default is 2048; a service scraped by a few clients needs far fewer.
BACKLOG = 128


def bind_listener(host: str, port: int, *, backlog: int = BACKLOG) -> socket.socket:
    """A listening TCP socket on (host, port), or a ``BindError`` that says why and what to do."""
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise BindError(
            f"Cannot listen on {host!r}: the host name does not resolve ({exc}).",
            hint="Give an address of this machine, e.g. --host 127.0.0.1 or --host 0.0.0.0.",
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart at once after a stop (TIME_WAIT)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise _bind_error(host, port, exc) from None
    return sock


def _bind_error(host: str, port: int, exc: OSError) -> BindError:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return BindError(
            f"Cannot listen on {where}: the port is already in use.",
            hint="Stop the program that holds it, or choose another --port.",
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return BindError(
            f"Cannot listen on {where}: that address is not on this machine.",
            hint="Give an address of this machine, e.g. --host 127.0.0.1 or --host 0.0.0.0.",
        )
    if exc.errno == errno.EACCES:
        return BindError(
            f"Cannot listen on {where}: permission denied.",
            hint="Ports below 1024 need privileges: choose a --port above 1023.",
        )
    return BindError(f"Cannot listen on {where}: {exc.strerror or exc}.")


def bound_port(sock: socket.socket) -> int:
    """The port a socket listens on (the chosen one when it was bound to port 0)."""
    return int(sock.getsockname()[1])
