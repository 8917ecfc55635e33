"""Shared fixture: a psycopg2 connection to the sandbox isotest made for this case.

isotest runs every test id in its own process with DATABASE_URL (and the
PG* variables) pointing at a fresh database cloned from the migrated
template, or at a fresh schema with --isolation schema.
"""

import os

import psycopg2
import pytest


@pytest.fixture
def db():
    url = os.environ.get("DATABASE_URL")
    if not url:
        # Refuse to guess a database: the tests commit and would otherwise
        # write into whatever libpq connects to by default.
        pytest.fail(
            "DATABASE_URL is not set: run this suite under isotest "
            "(see examples/pytest/README.md)",
            pytrace=False,
        )
    conn = psycopg2.connect(url, connect_timeout=10)
    try:
        yield conn
    finally:
        conn.close()
