"""Reports and exports: the application code (bookings.py), which connects
with plain psycopg2.connect(), finds its database in the environment that
the plugin's isotest_env option sets for each test."""

import os

import psycopg2

import bookings


def test_environment(isotest_sandbox):
    """DATABASE_URL and the PG* variables reach this test's sandbox."""
    query = "SELECT current_database(), current_schema(), current_setting('application_name')"
    with bookings.transaction() as conn, conn.cursor() as cur:
        cur.execute(query)
        via_env = cur.fetchone()
    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            via_url = cur.fetchone()
    finally:
        conn.close()
    schema = isotest_sandbox.schema or "public"
    assert via_env == (isotest_sandbox.dbname, schema, isotest_sandbox.name)
    assert via_url[:2] == via_env[:2]


def test_event_summary_exact():
    """The seed as the event_summary view reports it.

    Shared database: the bookings of test_signup_and_book and
    test_book_last_seat change these numbers, and so does the season reset.
    """
    assert bookings.event_summary() == [
        ("Jazz Night", "Blue Note Hall", 50, 1, 49),
        ("Poetry Reading", "Old Library", 2, 1, 1),
        ("Chamber Concert", "Old Library", 1, 1, 0),
    ]


def test_export_attendees_csv():
    """Shared database: test_export_registrations_csv creates the same
    table (never dropped), and the rows are exact."""
    assert bookings.export_csv("SELECT email, name FROM attendees ORDER BY email") == [
        "email,name",
        "ana@example.org,Ana Lima",
        "ben@example.org,Ben Okafor",
    ]


def test_export_registrations_csv():
    """Shared database: test_export_attendees_csv creates the same table."""
    assert bookings.export_csv(
        "SELECT e.title, a.email FROM registrations r "
        "JOIN events e ON e.id = r.event_id JOIN attendees a ON a.id = r.attendee_id "
        "ORDER BY e.starts_at, a.email"
    ) == [
        "title,email",
        "Jazz Night,ana@example.org",
        "Poetry Reading,ana@example.org",
        "Chamber Concert,ben@example.org",
    ]


def test_promo_code_listing():
    """Shared database: test_registrations.py::test_jazz_promo_code creates
    the same code (the primary key)."""
    bookings.add_promo_code("JAZZ10", "Jazz Night", 15)
    with bookings.transaction() as conn, conn.cursor() as cur:
        cur.execute("SELECT code, discount_pct FROM promo_codes ORDER BY code")
        assert cur.fetchall() == [("JAZZ10", 15)]
