"""The plugin in pytest runs of their own (pytester), against the fake
socket (conftest.py)."""

import os
import xml.etree.ElementTree as ET

import pytest

SUITE = """
import os
import pytest

def test_url(isotest_url, isotest_sandbox):
    assert isotest_url == isotest_sandbox.url

class TestGroup:
    @pytest.mark.parametrize("v", ["a b", "x::y"])
    def test_param(self, isotest_sandbox, v):
        assert isotest_sandbox.name.startswith("isotest_feedf00d_")

def test_plain():
    assert "DATABASE_URL" not in os.environ
"""


def junit_ids(path):
    return sorted(
        f"{c.get('classname')}.{c.get('name')}" for c in ET.parse(path).iter("testcase")
    )


def test_fixtures_and_test_ids(pytester, fake_isotest):
    pytester.makepyfile(test_suite=SUITE)
    junit = pytester.path / "report.xml"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--junitxml={junit}")
    result.assert_outcomes(passed=4)
    ids = sorted(i for _, i in fake_isotest.acquired)
    # One sandbox per test using the fixtures, under its JUnit id.
    assert ids == [i for i in junit_ids(junit) if not i.endswith("test_plain")]
    assert len(ids) == 3
    assert sorted(fake_isotest.released) == sorted(
        f"isotest_feedf00d_{n}" for n in range(1, 4)
    )


def test_junitprefix(pytester, fake_isotest):
    pytester.makepyfile(test_suite=SUITE)
    junit = pytester.path / "report.xml"
    result = pytester.runpytest_subprocess(f"--junitxml={junit}", "--junitprefix=pre")
    result.assert_outcomes(passed=4)
    assert sorted(i for _, i in fake_isotest.acquired) == [
        i for i in junit_ids(junit) if not i.endswith("test_plain")
    ]


def test_env_option_sets_and_restores(pytester, fake_isotest, monkeypatch):
    fake_isotest.schema_mode = True
    monkeypatch.setenv("PGSERVICE", "elsewhere")
    monkeypatch.setenv("PGHOST", "db.example.org")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    pytester.makeconftest(
        """
import os
import pytest

def env():
    # pytest sets and unsets PYTEST_CURRENT_TEST itself.
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}

BEFORE = env()

@pytest.hookimpl(trylast=True)
def pytest_runtest_logfinish(nodeid):
    assert env() == BEFORE, nodeid
"""
    )
    pytester.makepyfile(
        test_env="""
import os

def test_one(isotest_sandbox):
    assert os.environ["PGDATABASE"] == "isotest_feedf00d_schemas"
    assert os.environ["PGAPPNAME"] == os.environ["ISOTEST_SANDBOX"] == isotest_sandbox.name
    assert os.environ["PGOPTIONS"] == isotest_sandbox.options
    assert os.environ["DATABASE_URL"] == isotest_sandbox.url
    assert os.environ["PGHOST"] == "/tmp/sock"
    assert os.environ["ISOTEST_TEST_ID"] == "test_env.test_one"
    assert "PGSERVICE" not in os.environ and "PGPASSWORD" not in os.environ
    os.environ["PGSSLMODE"] = "require"   # a test's own change goes too

def test_two():
    assert os.environ["PGAPPNAME"].startswith("isotest_feedf00d_")
"""
    )
    pytester.makeini("[pytest]\nisotest_env = true\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert len(fake_isotest.acquired) == 2


def test_framework_junit(pytester, fake_isotest, monkeypatch):
    pytester.makepyfile(test_suite=SUITE)
    fw = pytester.path / "framework.xml"
    monkeypatch.setenv("ISOTEST_FRAMEWORK_JUNIT", str(fw))
    pytester.runpytest_subprocess().assert_outcomes(passed=4)
    assert len(junit_ids(fw)) == 4
    # The user's own --junitxml stays, and isotest gets a copy.
    fw.unlink()
    mine = pytester.path / "mine.xml"
    pytester.runpytest_subprocess(f"--junitxml={mine}").assert_outcomes(passed=4)
    assert mine.read_bytes() == fw.read_bytes()


def test_keep_failed(pytester, fake_isotest):
    pytester.makepyfile(
        test_keep="""
def test_fails(isotest_url):
    assert False

def test_passes(isotest_url):
    pass
"""
    )
    result = pytester.runpytest_subprocess("--isotest-keep-failed")
    result.assert_outcomes(passed=1, failed=1)
    assert len(fake_isotest.kept) == 1 and len(fake_isotest.released) == 1
    result.stdout.fnmatch_lines(["*kept sandbox isotest_feedf00d_* psql 'host=/tmp/sock*"])


def test_xdist_workers_connect_on_their_own(pytester, fake_isotest):
    pytest.importorskip("xdist")
    pytester.makepyfile(
        test_many="""
import pytest

@pytest.mark.parametrize("n", range(8))
def test_n(isotest_url, n):
    import time
    time.sleep(0.05)
"""
    )
    fw = pytester.path / "framework.xml"
    os.environ["ISOTEST_FRAMEWORK_JUNIT"] = str(fw)
    try:
        result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    finally:
        del os.environ["ISOTEST_FRAMEWORK_JUNIT"]
    result.assert_outcomes(passed=8)
    assert fake_isotest.connections == 2  # the workers; not the controller
    assert {c for c, _ in fake_isotest.acquired} == {0, 1}
    assert sorted(i for _, i in fake_isotest.acquired) == junit_ids(fw)


def test_outside_isotest(pytester, monkeypatch):
    monkeypatch.delenv("ISOTEST_SOCKET", raising=False)
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, errors=3)
    result.stdout.fnmatch_lines(["*isotest exec -- python -m pytest*"])
    result = pytester.runpytest_subprocess("--isotest-env")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--isotest-env*isotest exec -- python -m pytest*"])
    # Showing things needs no sandbox.
    assert pytester.runpytest_subprocess("--isotest-env", "--collect-only").ret == 0


def test_release_error_is_a_teardown_error(pytester, fake_isotest):
    # The test gives its sandbox back itself: the fixture's RELEASE then
    # gets isotest's ERR, shown as it is.
    pytester.makepyfile(
        test_twice="""
from pytest_isotest import default_client

def test_gives_back(isotest_sandbox):
    default_client().release(isotest_sandbox)
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*cannot give sandbox isotest_feedf00d_1 back: isotest: RELEASE: no sandbox*"]
    )
