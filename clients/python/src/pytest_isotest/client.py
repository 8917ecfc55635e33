"""A client of the sandbox socket that `isotest exec` opens.

The protocol (isotest's README, "The sandbox socket"): lines of UTF-8
ending in "\\n", at most 4096 bytes; one request, one answer line.
Arguments and answer values are percent-encoded (RFC 3986: only
A-Z a-z 0-9 - . _ ~ are kept).

    HELLO              OK version=V run=RUNID isolation=MODE
    ACQUIRE [TEST-ID]  OK name=N dbname=D url=U host=H port=P user=R
                          [password=W] options=O schema=S acquire_ms=MS
    RELEASE NAME       OK release_ms=MS
    KEEP NAME          OK
    (failure)          ERR message

A sandbox belongs to the connection that acquired it: when the connection
closes (the process ends), isotest drops what it still holds.  Hence one
connection per process, opened on first use; a child made by fork() does
not use its parent's connection but opens its own.  Requests take turns
under a lock, so threads may share a client.

Standard library only.
"""

import os
import socket
import threading
import urllib.parse

__all__ = [
    "IsotestError",
    "NotUnderIsotest",
    "Sandbox",
    "Client",
    "default_client",
]

MAX_LINE = 4096  # bytes, the newline included
MAX_ANSWER = 65536  # a sanity limit: answers are a few hundred bytes

EXEC_HINT = "isotest exec -- python -m pytest ..."


class IsotestError(Exception):
    """A request failed.  `server_message` is the text after "ERR" when
    isotest answered so, else None (the socket could not be used)."""

    def __init__(self, message, server_message=None):
        super().__init__(message)
        self.server_message = server_message


class NotUnderIsotest(IsotestError):
    """No ISOTEST_SOCKET: the process does not run under `isotest exec`."""


def _quote(s):
    return urllib.parse.quote(s, safe="")


def _unquote(s):
    # errors="strict": a value isotest sent is UTF-8; anything else is a bug
    # worth seeing rather than a silently replaced character.
    return urllib.parse.unquote(s, errors="strict")


def _parse_fields(text):
    """'k=v k=v' (values percent-encoded) as a dict."""
    fields = {}
    for item in text.split(" "):
        if not item:
            continue
        key, eq, value = item.partition("=")
        if not eq:
            raise IsotestError(f"unreadable answer field {item!r} from isotest")
        fields[key] = _unquote(value)
    return fields


def _with_application_name(url, name):
    """The URL with application_name=NAME unless it names one already.

    When isotest drops a schema-mode sandbox it ends the sessions whose
    application_name is the sandbox's name; isotest's URL carries none, so
    a connection a test left open in a transaction would hold its locks
    and DROP SCHEMA would wait for it forever."""
    query = url.partition("?")[2]
    if any(p.partition("=")[0] == "application_name" for p in query.split("&")):
        return url
    sep = "&" if query else ("" if url.endswith("?") else "?")
    return f"{url}{sep}application_name={_quote(name)}"


class Sandbox:
    """One sandbox handed out by isotest: how to connect to it.

    name      the sandbox (its database, or its schema in schema mode)
    dbname    the database to connect to
    url       a libpq URL (socket folder in ?host=, options in ?options=,
              application_name the sandbox's name)
    host, port, user, password (None when the server needs none)
    options   "-c search_path=SCHEMA,public" in schema mode, else ""
    schema    the schema in schema mode, else ""
    acquire_ms  how long isotest took to hand it out
    test_id   the test id it was acquired for, or None
    """

    __slots__ = (
        "name",
        "dbname",
        "url",
        "host",
        "port",
        "user",
        "password",
        "options",
        "schema",
        "acquire_ms",
        "test_id",
    )

    def __init__(self, fields, test_id=None):
        try:
            self.name = fields["name"]
            self.dbname = fields["dbname"]
            self.url = _with_application_name(fields["url"], self.name)
        except KeyError as exc:
            raise IsotestError(f"isotest's ACQUIRE answer has no {exc.args[0]}")
        self.host = fields.get("host", "")
        self.port = fields.get("port", "")
        self.user = fields.get("user", "")
        self.password = fields.get("password") or None
        self.options = fields.get("options", "")
        self.schema = fields.get("schema", "")
        try:
            self.acquire_ms = float(fields.get("acquire_ms", "nan"))
        except ValueError:
            self.acquire_ms = float("nan")
        self.test_id = test_id

    def env(self):
        """The libpq variables (and DATABASE_URL) that point at it, as a
        dict; PGPASSWORD only when there is a password, PGOPTIONS only in
        schema mode.  PGAPPNAME is the sandbox's name, which lets isotest
        find the sessions a test left when it drops the sandbox."""
        env = {
            "DATABASE_URL": self.url,
            "PGHOST": self.host,
            "PGPORT": self.port,
            "PGUSER": self.user,
            "PGDATABASE": self.dbname,
            "PGAPPNAME": self.name,
        }
        if self.password:
            env["PGPASSWORD"] = self.password
        if self.options:
            env["PGOPTIONS"] = self.options
        return env

    def __repr__(self):
        # No password and no URL (which may hold it): reprs end up in logs.
        return (
            f"Sandbox(name={self.name!r}, dbname={self.dbname!r}, "
            f"host={self.host!r}, port={self.port!r}, user={self.user!r}, "
            f"schema={self.schema!r})"
        )


class Client:
    """A connection to isotest's sandbox socket.

    path: the socket, by default $ISOTEST_SOCKET.  Nothing is opened until
    the first request.  Every method may raise IsotestError (NotUnderIsotest
    when there is no socket to talk to).  Thread-safe.
    """

    def __init__(self, path=None, timeout=None):
        self.path = path if path is not None else os.environ.get("ISOTEST_SOCKET")
        self.timeout = timeout
        self.info = None  # the HELLO answer's fields, once connected
        self._lock = threading.Lock()
        self._sock = None
        self._buf = b""
        self._pid = None

    # ---- connection ------------------------------------------------------

    def _connect(self):
        if not self.path:
            raise NotUnderIsotest(
                "no sandbox socket: ISOTEST_SOCKET is not set (run the tests "
                f"under isotest: `{EXEC_HINT}`)"
            )
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError as exc:
            sock.close()
            raise IsotestError(
                f"cannot connect to the sandbox socket '{self.path}': "
                f"{exc.strerror or exc} (did `isotest exec` end?)"
            ) from None
        self._sock = sock
        self._buf = b""
        self._pid = os.getpid()
        try:
            answer = self._exchange("HELLO")
        except IsotestError:
            self._drop()
            raise
        if not answer.startswith("OK"):
            self._drop()
            raise IsotestError(
                f"'{self.path}' is not isotest's sandbox socket "
                f"(it answered {answer[:80]!r})"
            )
        self.info = _parse_fields(answer[2:])

    def _drop(self):
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = None
        self._buf = b""

    def _ensure(self):
        if self._sock is not None and self._pid != os.getpid():
            # Inherited over fork(): the parent owns that connection and
            # its sandboxes.  Closing our copy of the descriptor leaves the
            # parent's connection open.
            self._drop()
            self.info = None
        if self._sock is None:
            self._connect()

    def _exchange(self, line):
        data = line.encode("utf-8") + b"\n"
        if len(data) > MAX_LINE:
            raise IsotestError(
                f"request too long for the sandbox socket ({len(data)} bytes, "
                f"at most {MAX_LINE})"
            )
        try:
            self._sock.sendall(data)
            while b"\n" not in self._buf:
                if len(self._buf) > MAX_ANSWER:
                    raise IsotestError("isotest answered a line too long")
                chunk = self._sock.recv(4096)
                if not chunk:
                    raise IsotestError(
                        "the sandbox socket closed (did `isotest exec` end?)"
                    )
                self._buf += chunk
        except OSError as exc:
            self._drop()
            raise IsotestError(
                f"cannot talk to the sandbox socket: {exc.strerror or exc}"
            ) from None
        except IsotestError:
            self._drop()
            raise
        answer, _, self._buf = self._buf.partition(b"\n")
        return answer.decode("utf-8", errors="replace").rstrip("\r")

    def request(self, word, arg=None):
        """Send one request; the answer's fields after "OK" as a dict.
        An ERR answer raises IsotestError carrying isotest's message."""
        line = word if arg is None else f"{word} {_quote(arg)}"
        with self._lock:
            self._ensure()
            answer = self._exchange(line)
        if answer == "OK" or answer.startswith("OK "):
            return _parse_fields(answer[2:])
        if answer.startswith("ERR"):
            message = answer[3:].strip()
            raise IsotestError(f"isotest: {word}: {message}", message)
        raise IsotestError(f"isotest: {word}: unexpected answer {answer[:80]!r}")

    def close(self):
        """Close the connection: isotest drops every sandbox still held."""
        with self._lock:
            if self._pid == os.getpid():
                self._drop()
            self._sock = None
            self.info = None

    # ---- requests --------------------------------------------------------

    def hello(self):
        """The session's facts: version, run, isolation."""
        with self._lock:
            self._ensure()
            return dict(self.info)

    def acquire(self, test_id=None):
        """A new sandbox, recorded under test_id (may be None)."""
        if test_id and len(_quote(test_id)) > MAX_LINE - len("ACQUIRE \n"):
            # Too long for a request line: the sandbox is still worth more
            # than the report's link to it.
            test_id = None
        fields = self.request("ACQUIRE", test_id or None)
        return Sandbox(fields, test_id)

    def release(self, sandbox):
        """Drop a sandbox (a Sandbox or its name); the ms isotest took."""
        name = sandbox.name if isinstance(sandbox, Sandbox) else sandbox
        fields = self.request("RELEASE", name)
        try:
            return float(fields.get("release_ms", "nan"))
        except ValueError:
            return float("nan")

    def keep(self, sandbox):
        """Keep a sandbox for debugging; `isotest clean` drops it later."""
        name = sandbox.name if isinstance(sandbox, Sandbox) else sandbox
        self.request("KEEP", name)


_default = None
_default_lock = threading.Lock()


def default_client():
    """This process's client of $ISOTEST_SOCKET (made on first call)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Client()
        return _default
