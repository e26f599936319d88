"""A PostgreSQL client that opens a new connection every ``interval`` seconds, for as long as a
block runs, and counts how each one went: what a client of DBBat's proxy sees during a rollout.

    with NewConnections(address, 5432) as probe:
        ...                          # e.g. a role-driven rolling upgrade
    probe.counts                     # {"answered": n, "refused": n, "reset": n, "timeout": n}

Each attempt is a TCP connection and the protocol's SSLRequest, which a PostgreSQL server (DBBat's
proxy is one) answers with one byte, S or N: "answered" means the server itself replied. The
loop is bounded: at most ``max_attempts`` and ``max_seconds``, whichever comes first.
"""
import socket
import struct
import threading
import time

SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def attempt(address, port, timeout=2.0):
    """One new connection: "answered", "refused", "reset" or "timeout"."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as conn:
            conn.sendall(SSL_REQUEST)
            reply = conn.recv(1)
            return "answered" if reply in (b"S", b"N") else "reset"
    except ConnectionRefusedError:
        return "refused"
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except (socket.timeout, TimeoutError):
        return "timeout"


class NewConnections:
    def __init__(self, address, port, interval=0.1, max_attempts=6000, max_seconds=600):
        self.address, self.port, self.interval = address, port, interval
        self.max_attempts, self.max_seconds = max_attempts, max_seconds
        self.outcomes = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and len(self.outcomes) < self.max_attempts and time.monotonic() < deadline:
            started = time.monotonic()
            self.outcomes.append((started, attempt(self.address, self.port)))
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    @property
    def counts(self):
        counts = {"answered": 0, "refused": 0, "reset": 0, "timeout": 0}
        for _, outcome in self.outcomes:
            counts[outcome] += 1
        return counts

    @property
    def turned_away(self):
        return len(self.outcomes) - self.counts["answered"]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
