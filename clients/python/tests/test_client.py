"""The protocol client against the fake socket (conftest.py)."""

import os

import pytest

from pytest_isotest.client import Client, IsotestError, NotUnderIsotest


def test_acquire_release(fake_isotest):
    c = Client(fake_isotest.path)
    assert c.hello()["run"] == "feedf00d"
    sb = c.acquire("mod.Class.test_x[a b/ü%]")
    assert fake_isotest.acquired == [(0, "mod.Class.test_x[a b/ü%]")]
    assert sb.name == "isotest_feedf00d_1" == sb.dbname
    assert (sb.host, sb.port, sb.user, sb.password) == ("/tmp/sock", "5432", "u", None)
    assert (sb.options, sb.schema) == ("", "")
    assert sb.acquire_ms == pytest.approx(0.01)
    # The URL names the sandbox as application_name: isotest finds the
    # sessions a test left by it.
    assert sb.url == (
        "postgresql://u@/isotest_feedf00d_1?host=%2Ftmp%2Fsock&port=5432"
        "&application_name=isotest_feedf00d_1"
    )
    assert c.release(sb) == pytest.approx(0.02)
    assert fake_isotest.released == ["isotest_feedf00d_1"]
    c.close()


def test_env_schema_and_password(fake_isotest):
    fake_isotest.schema_mode = True
    fake_isotest.password = "p w&d"
    sb = Client(fake_isotest.path).acquire(None)
    assert fake_isotest.acquired == [(0, None)]
    assert sb.env() == {
        "DATABASE_URL": sb.url,
        "PGHOST": "/tmp/sock",
        "PGPORT": "5432",
        "PGUSER": "u",
        "PGDATABASE": "isotest_feedf00d_schemas",
        "PGAPPNAME": "isotest_feedf00d_1",
        "PGPASSWORD": "p w&d",
        "PGOPTIONS": "-c search_path=isotest_feedf00d_1,public",
    }
    assert "p w&d" not in repr(sb)


def test_err_answer(fake_isotest):
    c = Client(fake_isotest.path)
    with pytest.raises(IsotestError) as exc:
        c.release("isotest_nope_1")
    assert exc.value.server_message == "no sandbox 'isotest_nope_1' is held by this connection"
    assert "RELEASE" in str(exc.value)
    # The connection stays usable after an ERR.
    c.release(c.acquire("t"))


def test_not_under_isotest(monkeypatch):
    monkeypatch.delenv("ISOTEST_SOCKET", raising=False)
    with pytest.raises(NotUnderIsotest, match="isotest exec -- python -m pytest"):
        Client().acquire("t")


def test_socket_gone(tmp_path):
    with pytest.raises(IsotestError, match="cannot connect to the sandbox socket"):
        Client(str(tmp_path / "none")).hello()


def test_long_test_id_is_dropped(fake_isotest):
    # Too long for a 4096-byte request line: the sandbox without the id.
    sb = Client(fake_isotest.path).acquire("x" * 5000)
    assert sb.test_id is None
    assert fake_isotest.acquired == [(0, None)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_opens_own_connection(fake_isotest):
    c = Client(fake_isotest.path)
    c.hello()
    pid = os.fork()
    if pid == 0:
        try:
            c.release(c.acquire("child"))
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    c.release(c.acquire("parent"))
    assert fake_isotest.connections == 2
    assert sorted(fake_isotest.acquired) == [(0, "parent"), (1, "child")]
