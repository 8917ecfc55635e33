"""The application code under test: reports and exports of the booking
database.  Like a deployed app it connects where the environment says
(libpq's PG* variables, which psycopg2.connect() reads), and knows nothing
about tests.
"""

import contextlib
import io

import psycopg2


@contextlib.contextmanager
def transaction():
    """A connection in a transaction: committed when the block ends,
    rolled back when it raises; closed either way."""
    conn = psycopg2.connect(connect_timeout=10)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def event_summary():
    """(title, venue, capacity, registered, seats_left) per event, by date."""
    with transaction() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT title, venue, capacity, registered, seats_left "
            "FROM event_summary ORDER BY starts_at"
        )
        return cur.fetchall()


def add_promo_code(code, event_title, discount_pct):
    with transaction() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO promo_codes (code, event_id, discount_pct) "
            "SELECT %s, id, %s FROM events WHERE title = %s",
            (code, discount_pct, event_title),
        )


def export_csv(query):
    """Snapshot a query into the table export_snapshot (kept for the
    auditors) and return the snapshot as CSV lines."""
    with transaction() as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE export_snapshot AS " + query)
        buf = io.StringIO()
        cur.copy_expert("COPY export_snapshot TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
        return buf.getvalue().splitlines()
