"""Reports, exports and the environment isotest provides."""

import io
import os

import psycopg2


def test_schema_objects(db):
    """The migrations ran in this case's schema. Read-only: safe on a
    shared database."""
    with db.cursor() as cur:
        cur.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_schema = current_schema() "
            "AND table_name IN ('venues', 'events', 'attendees', 'registrations', 'event_summary') "
            "ORDER BY table_name"
        )
        assert cur.fetchall() == [
            ("attendees", "BASE TABLE"),
            ("event_summary", "VIEW"),
            ("events", "BASE TABLE"),
            ("registrations", "BASE TABLE"),
            ("venues", "BASE TABLE"),
        ]
        cur.execute("SELECT to_regprocedure('enforce_capacity()') IS NOT NULL")
        assert cur.fetchone()[0] is True


def test_environment(db):
    """DATABASE_URL and the PG* variables (psycopg2.connect("")) reach the
    same database and schema. Read-only: safe on a shared database."""
    assert os.environ.get("ISOTEST_TEST_ID")
    query = "SELECT current_database(), current_schema()"
    with db.cursor() as cur:
        cur.execute(query)
        via_url = cur.fetchone()
    env_conn = psycopg2.connect("")
    try:
        with env_conn.cursor() as cur:
            cur.execute(query)
            via_env = cur.fetchone()
    finally:
        env_conn.close()
    assert via_url == via_env
    assert via_url[0] == os.environ["PGDATABASE"]


def test_event_summary_exact(db):
    """The seed as the event_summary view reports it.

    Shared database: the bookings of test_signup_and_book and
    test_book_last_seat change these numbers.
    """
    with db.cursor() as cur:
        cur.execute(
            "SELECT title, venue, capacity, registered, seats_left "
            "FROM event_summary ORDER BY starts_at"
        )
        assert cur.fetchall() == [
            ("Jazz Night", "Blue Note Hall", 50, 1, 49),
            ("Poetry Reading", "Old Library", 2, 1, 1),
            ("Chamber Concert", "Old Library", 1, 1, 0),
        ]


def copy_csv(cur, table):
    buf = io.StringIO()
    cur.copy_expert(f"COPY {table} TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
    return buf.getvalue().splitlines()


def test_export_attendees_csv(db):
    """Snapshots the attendees into export_snapshot and exports it as CSV.

    Shared database: test_export_registrations_csv creates the same table
    (no IF NOT EXISTS, never dropped), and the row count is exact.
    """
    with db.cursor() as cur:
        cur.execute(
            "CREATE TABLE export_snapshot AS "
            "SELECT email, name FROM attendees ORDER BY email"
        )
        db.commit()
        assert copy_csv(cur, "export_snapshot") == [
            "email,name",
            "ana@example.org,Ana Lima",
            "ben@example.org,Ben Okafor",
        ]


def test_export_registrations_csv(db):
    """Snapshots the registrations into export_snapshot and exports it as CSV.

    Shared database: test_export_attendees_csv creates the same table.
    """
    with db.cursor() as cur:
        cur.execute(
            "CREATE TABLE export_snapshot AS "
            "SELECT e.title, a.email FROM registrations r "
            "JOIN events e ON e.id = r.event_id JOIN attendees a ON a.id = r.attendee_id "
            "ORDER BY e.starts_at, a.email"
        )
        db.commit()
        assert copy_csv(cur, "export_snapshot") == [
            "title,email",
            "Jazz Night,ana@example.org",
            "Poetry Reading,ana@example.org",
            "Chamber Concert,ben@example.org",
        ]
