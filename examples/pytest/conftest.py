"""A psycopg2 connection to the test's sandbox, for the tests that talk SQL
themselves (test_attendees.py, test_registrations.py).

`isotest_url` comes from the pytest-isotest plugin: the libpq URL of a
database (or schema) cloned for this test from the migrated template and
dropped after it.  With isotest_env = true (pytest.ini) it is the same
sandbox DATABASE_URL points at.
"""

import psycopg2
import pytest


@pytest.fixture
def db(isotest_url):
    conn = psycopg2.connect(isotest_url, connect_timeout=10)
    try:
        yield conn
    finally:
        conn.close()
