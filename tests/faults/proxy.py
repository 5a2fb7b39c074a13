"""A loopback TCP proxy in front of PostgreSQL that a test can break on purpose.

`cut()` closes every proxied connection at once (both sides), `refuse(True)` makes new
connections fail at once (accepted, then closed: the client sees the server hang up) until
`refuse(False)`, and `trap_commit(...)` arms a one-shot trap on the next COMMIT a client
sends: either the COMMIT never reaches the server ("drop"), or it does and the server's
answer never reaches the client ("lose_reply"). Threads only; every socket is closed by
`close()`.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress
from dataclasses import dataclass, field

COMMIT = b"COMMIT"
TRAPS = ("drop", "lose_reply")


@dataclass(eq=False)
class _Pair:
    client: socket.socket
    server: socket.socket
    lose_replies: bool = False
    closed: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        self.closed.set()
        for sock in (self.client, self.server):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()


class TcpProxy:
    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self._upstream = upstream
        self._lock = threading.Lock()
        self._pairs: set[_Pair] = set()
        self._refusing = False
        self._trap: str | None = None
        self.sprung = threading.Event()
        self.cut_total = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port: int = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, name="pg-proxy", daemon=True)
        self._acceptor.start()

    # controls

    def cut(self) -> int:
        """Close every connection now; returns how many there were."""
        with self._lock:
            pairs, self._pairs = list(self._pairs), set()
            self.cut_total += len(pairs)
        for pair in pairs:
            pair.close()
        return len(pairs)

    def refuse(self, refusing: bool) -> None:
        with self._lock:
            self._refusing = refusing

    def trap_commit(self, how: str) -> None:
        """Arm a one-shot trap on the next COMMIT: "drop" or "lose_reply"."""
        assert how in TRAPS, how
        with self._lock:
            self._trap = how
        self.sprung.clear()

    def disarm(self) -> None:
        with self._lock:
            self._trap = None

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    def close(self) -> None:
        self._closed.set()
        with suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        with suppress(OSError):
            self._listener.close()
        self.cut()
        self._acceptor.join(timeout=5)

    # plumbing

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                refusing = self._refusing
            if refusing:
                with suppress(OSError):
                    client.close()
                continue
            try:
                server = socket.create_connection(self._upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            pair = _Pair(client, server)
            with self._lock:
                self._pairs.add(pair)
            for source, target, upstream in ((client, server, True), (server, client, False)):
                threading.Thread(
                    target=self._pump, args=(pair, source, target, upstream), daemon=True
                ).start()

    def _pump(self, pair: _Pair, source: socket.socket, target: socket.socket, up: bool) -> None:
        cut_all = False
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if up and COMMIT in data and self._spring(pair):
                    if not pair.lose_replies:  # "drop": the server never sees this COMMIT
                        cut_all = True
                        break
                elif not up and pair.lose_replies:  # the server answered the COMMIT: lose it
                    cut_all = True
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            if cut_all:
                self.cut()
            else:
                with self._lock:
                    self._pairs.discard(pair)
                pair.close()

    def _spring(self, pair: _Pair) -> bool:
        with self._lock:
            how, self._trap = self._trap, None
        if how is None:
            return False
        pair.lose_replies = how == "lose_reply"
        self.sprung.set()
        return True
