"""Tests of pytest-isotest without isotest: a fake sandbox socket that
speaks the protocol, and pytester for runs of the plugin.

Run them with the plugin installed (the pytester runs load it through its
entry point):  V/bin/python -m pytest clients/python/tests
"""

import os
import socket
import tempfile
import threading
import urllib.parse

import pytest

pytest_plugins = ["pytester"]


def _q(s):
    return urllib.parse.quote(s, safe="")


class FakeIsotest:
    """A sandbox socket in a thread: HELLO, ACQUIRE, RELEASE, KEEP.

    `acquired` lists (connection number, test id); `released` and `kept`
    the names given back; `password` and `schema` change what ACQUIRE
    answers."""

    def __init__(self, path):
        self.path = path
        self.acquired = []
        self.released = []
        self.kept = []
        self.connections = 0
        self.password = None
        self.schema_mode = False
        self.lock = threading.Lock()
        self._n = 0
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(path)
        self._sock.listen(16)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self.lock:
                cid = self.connections
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn, cid), daemon=True).start()

    def _serve(self, conn, cid):
        held = set()
        f = conn.makefile("rwb")
        for raw in f:
            line = raw.decode().rstrip("\n")
            word, _, arg = line.partition(" ")
            arg = urllib.parse.unquote(arg)
            if word == "HELLO":
                ans = "OK version=0.0.0 run=feedf00d isolation=" + (
                    "schema" if self.schema_mode else "database"
                )
            elif word == "ACQUIRE":
                with self.lock:
                    self._n += 1
                    name = f"isotest_feedf00d_{self._n}"
                    self.acquired.append((cid, arg or None))
                held.add(name)
                ans = self._answer(name)
            elif word in ("RELEASE", "KEEP") and arg in held:
                held.discard(arg)
                with self.lock:
                    (self.released if word == "RELEASE" else self.kept).append(arg)
                ans = "OK release_ms=0.020" if word == "RELEASE" else "OK"
            elif word in ("RELEASE", "KEEP"):
                ans = f"ERR no sandbox '{arg}' is held by this connection"
            else:
                ans = f"ERR unknown request '{word}' (HELLO, ACQUIRE, RELEASE, KEEP)"
            f.write(ans.encode() + b"\n")
            f.flush()
        conn.close()

    def _answer(self, name):
        schema = name if self.schema_mode else ""
        dbname = "isotest_feedf00d_schemas" if self.schema_mode else name
        options = f"-c search_path={schema},public" if schema else ""
        url = f"postgresql://u@/{dbname}?host=%2Ftmp%2Fsock&port=5432"
        if options:
            url += "&options=" + _q(options)
        fields = [
            ("name", name),
            ("dbname", dbname),
            ("url", url),
            ("host", "/tmp/sock"),
            ("port", "5432"),
            ("user", "u"),
        ]
        if self.password:
            fields.append(("password", self.password))
        fields += [("options", options), ("schema", schema)]
        return "OK " + " ".join(f"{k}={_q(v)}" for k, v in fields) + " acquire_ms=0.010"

    def close(self):
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()


@pytest.fixture
def fake_isotest(monkeypatch):
    # A short path: sun_path holds 108 bytes, and tmp_path can be longer.
    folder = tempfile.mkdtemp(prefix="isotest-fake-")
    server = FakeIsotest(os.path.join(folder, "socket"))
    monkeypatch.setenv("ISOTEST_SOCKET", server.path)
    monkeypatch.setenv("ISOTEST_RUN_ID", "feedf00d")
    monkeypatch.delenv("ISOTEST_FRAMEWORK_JUNIT", raising=False)
    yield server
    server.close()
    os.unlink(server.path)
    os.rmdir(folder)
