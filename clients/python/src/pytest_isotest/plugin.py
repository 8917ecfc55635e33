"""The pytest plugin: a sandbox database (or schema) per test from the
`isotest exec` that runs pytest.

Fixtures
    isotest_sandbox  a Sandbox (client.py) for the test, dropped after it
    isotest_url      its libpq URL; in one test, both are the same sandbox

Options (command line, or the ini setting of the same name)
    --isotest-env / isotest_env = true
        every test gets a sandbox, and DATABASE_URL and the PG* variables
        point at it while the test runs
    --isotest-keep-failed / isotest_keep_failed = true
        a failed test's sandbox is kept (`isotest clean` drops it later)

A sandbox is acquired with the test's JUnit id, "classname.name" as
pytest's junitxml writes it, so that `isotest exec --junit` can put the
sandbox and its timings into the test's entry of the merged report.  With
$ISOTEST_FRAMEWORK_JUNIT set (`isotest exec --junit`), pytest writes its
JUnit report there.

pytest-xdist: each worker process opens its own connection on first use;
the controller runs no test and asks for nothing.
"""

import logging
import os
import shutil
import time

import pytest
from _pytest.junitxml import bin_xml_escape, mangle_test_address

from .client import EXEC_HINT, IsotestError, default_client

log = logging.getLogger("pytest_isotest")

_env_key = pytest.StashKey[bool]()
_keep_key = pytest.StashKey[bool]()
_copy_key = pytest.StashKey[tuple]()
_failed_key = pytest.StashKey[bool]()

# Variables the environment option sets besides PG*, restored afterwards.
_OWN_VARS = ("DATABASE_URL", "ISOTEST_TEST_ID", "ISOTEST_SANDBOX")

_OUTSIDE = (
    "this test uses isotest's sandbox fixtures (isotest_url, "
    "isotest_sandbox), but pytest does not run under isotest (no "
    f"ISOTEST_SOCKET in the environment): run it as `{EXEC_HINT}`"
)


def pytest_addoption(parser):
    group = parser.getgroup("isotest", "isotest: a sandbox database per test")
    group.addoption(
        "--isotest-env",
        action="store_true",
        default=None,
        help="give every test a sandbox and point DATABASE_URL and the PG* "
        "variables at it while the test runs (ini: isotest_env)",
    )
    group.addoption(
        "--isotest-keep-failed",
        action="store_true",
        default=None,
        help="keep the sandboxes of failed tests for debugging; "
        "`isotest clean` drops them later (ini: isotest_keep_failed)",
    )
    parser.addini(
        "isotest_env",
        type="bool",
        default=False,
        help="give every test a sandbox and point DATABASE_URL and the PG* "
        "variables at it while the test runs",
    )
    parser.addini(
        "isotest_keep_failed",
        type="bool",
        default=False,
        help="keep the sandboxes of failed tests for debugging",
    )


def _flag(config, name):
    value = config.getoption(name)
    return bool(value) if value is not None else bool(config.getini(name))


def _expand(path):
    path = os.path.expanduser(os.path.expandvars(path))
    return os.path.normpath(os.path.abspath(path))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # tryfirst: before junitxml's pytest_configure reads option.xmlpath.
    config.stash[_env_key] = _flag(config, "isotest_env")
    config.stash[_keep_key] = _flag(config, "isotest_keep_failed")
    framework_junit = os.environ.get("ISOTEST_FRAMEWORK_JUNIT")
    # xdist's workers write no report; the controller writes the one
    # report.  With -p no:junitxml there is no option to set, and isotest
    # says that pytest wrote no report.
    if (
        framework_junit
        and not hasattr(config, "workerinput")
        and hasattr(config.option, "xmlpath")
    ):
        mine = config.option.xmlpath
        if not mine:
            config.option.xmlpath = framework_junit
        elif _expand(mine) != _expand(framework_junit):
            # The user's report stays where they asked; isotest gets a copy.
            config.stash[_copy_key] = (_expand(mine), framework_junit)


# Runs that show something and run no test need no sandbox.
_NO_TESTS = ("collectonly", "showfixtures", "show_fixtures_per_test", "markers")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    # Not in pytest_configure, which `pytest --help` runs too; tryfirst:
    # before pytest-xdist starts its workers.
    config = session.config
    if os.environ.get("ISOTEST_SOCKET") or not config.stash.get(_env_key, False):
        return
    if any(getattr(config.option, name, False) for name in _NO_TESTS):
        return
    raise pytest.UsageError(
        "--isotest-env (or isotest_env = true) gives every test a "
        "sandbox from isotest, but pytest does not run under isotest "
        f"(no ISOTEST_SOCKET in the environment): run `{EXEC_HINT}`"
    )


def pytest_unconfigure(config):
    paths = config.stash.get(_copy_key, None)
    if paths and os.path.exists(paths[0]):
        shutil.copyfile(paths[0], paths[1])


def pytest_report_header(config):
    if not os.environ.get("ISOTEST_SOCKET"):
        return None
    if config.stash.get(_env_key, False):
        how = "every test, in DATABASE_URL and PG*"
    else:
        how = "tests using isotest_url or isotest_sandbox"
    run = os.environ.get("ISOTEST_RUN_ID", "?")
    return f"isotest: run {run}, a sandbox for {how}"


def junit_test_id(item):
    """The test's "classname.name" as pytest's junitxml writes it."""
    names = mangle_test_address(item.nodeid)
    classnames = names[:-1]
    prefix = getattr(item.config.option, "junitprefix", None)
    if prefix:
        classnames.insert(0, prefix)
    name = bin_xml_escape(names[-1])
    return ".".join(classnames + [name]) if classnames else name


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        item.stash[_failed_key] = True


@pytest.fixture
def isotest_sandbox(request):
    """A sandbox for this test (client.Sandbox: name, dbname, url, host,
    port, user, password, options, schema), dropped after the test."""
    client = default_client()
    if not client.path:
        pytest.fail(_OUTSIDE, pytrace=False)
    node = request.node
    start = time.perf_counter()
    try:
        sandbox = client.acquire(junit_test_id(node))
    except IsotestError as exc:
        pytest.fail(f"cannot get a sandbox: {exc}", pytrace=False)
    # Client-side times (isotest's own plus the round trip), at DEBUG:
    # pytest --log-file=F --log-file-level=DEBUG collects them.
    log.debug(
        "acquired %s for %s in %.3f ms (isotest %.3f ms)",
        sandbox.name,
        sandbox.test_id,
        (time.perf_counter() - start) * 1000,
        sandbox.acquire_ms,
    )
    yield sandbox
    start = time.perf_counter()
    keep = request.config.stash.get(_keep_key, False)
    try:
        if keep and node.stash.get(_failed_key, False):
            client.keep(sandbox)
            node.user_properties.append(("isotest_kept", _psql_hint(sandbox)))
            log.debug("kept %s", sandbox.name)
            return
        ms = client.release(sandbox)
    except IsotestError as exc:
        pytest.fail(f"cannot give sandbox {sandbox.name} back: {exc}", pytrace=False)
    log.debug(
        "released %s in %.3f ms (isotest %.3f ms)",
        sandbox.name,
        (time.perf_counter() - start) * 1000,
        ms,
    )


@pytest.fixture
def isotest_url(isotest_sandbox):
    """The libpq URL of this test's sandbox (psycopg2.connect(url),
    SQLAlchemy's create_engine after changing the scheme, ...)."""
    return isotest_sandbox.url


@pytest.fixture(autouse=True)
def _isotest_env(request):
    """With --isotest-env: the test's sandbox in os.environ while it runs.

    Every inherited PG* variable is unset first (PGSERVICE, PGSSLMODE, ...
    would change where libpq connects), as `isotest run` does for its
    cases; all of them come back exactly as they were afterwards."""
    if not request.config.stash.get(_env_key, False):
        yield
        return
    sandbox = request.getfixturevalue("isotest_sandbox")
    saved = {k: v for k, v in os.environ.items() if _ours(k)}
    for key in saved:
        del os.environ[key]
    os.environ.update(sandbox.env())
    os.environ["ISOTEST_SANDBOX"] = sandbox.name
    if sandbox.test_id:
        os.environ["ISOTEST_TEST_ID"] = sandbox.test_id
    try:
        yield
    finally:
        for key in [k for k in os.environ if _ours(k)]:
            del os.environ[key]
        os.environ.update(saved)


def _ours(key):
    return key.startswith("PG") or key in _OWN_VARS


def _psql_hint(sandbox):
    # No password here: this ends up on the terminal and in reports.
    conninfo = (
        f"host={sandbox.host} port={sandbox.port} user={sandbox.user} "
        f"dbname={sandbox.dbname}"
    )
    hint = f"psql '{conninfo}'"
    if sandbox.options:
        hint = f"PGOPTIONS='{sandbox.options}' {hint}"
    return f"kept sandbox {sandbox.name}: {hint}"


def pytest_terminal_summary(terminalreporter):
    # Reports come here from xdist's workers too, with their user_properties.
    kept = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            for key, value in getattr(report, "user_properties", ()):
                if key == "isotest_kept" and getattr(report, "when", "") == "teardown":
                    kept.append((report.nodeid, value))
    if kept:
        terminalreporter.section("isotest: kept sandboxes")
        for nodeid, text in kept:
            terminalreporter.line(f"{nodeid}: {text}")
        terminalreporter.line("drop them with `isotest clean` (after --keep-age)")
