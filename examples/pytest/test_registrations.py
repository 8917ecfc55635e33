"""Registrations: booking, the capacity trigger, promo codes, a season
reset.  SQL through the `db` fixture (conftest.py)."""

import psycopg2.errors
import pytest


def event_id(cur, title):
    cur.execute("SELECT id FROM events WHERE title = %s", (title,))
    return cur.fetchone()[0]


def attendee_id(cur, email):
    cur.execute("SELECT id FROM attendees WHERE email = %s", (email,))
    return cur.fetchone()[0]


def test_signup_and_book(db):
    """Sam signs up and books Jazz Night, committed in one transaction.

    Shared database: test_attendees.py::test_register_attendee inserts the
    same e-mail, and the booking changes test_reports.py::test_event_summary_exact.
    """
    with db.cursor() as cur:
        cur.execute(
            "INSERT INTO attendees (email, name) VALUES (%s, %s) RETURNING id",
            ("sam@example.org", "Samuel Vimes"),
        )
        (sam,) = cur.fetchone()
        cur.execute(
            "INSERT INTO registrations (event_id, attendee_id) VALUES (%s, %s)",
            (event_id(cur, "Jazz Night"), sam),
        )
    db.commit()

    with db.cursor() as cur:
        cur.execute(
            "SELECT e.title FROM registrations r JOIN events e ON e.id = r.event_id "
            "WHERE r.attendee_id = %s",
            (sam,),
        )
        assert cur.fetchall() == [("Jazz Night",)]


def test_book_last_seat(db):
    """Ben takes the last of Poetry Reading's 2 seats.

    Shared database: test_reports.py::test_event_summary_exact expects the
    seat to be free, and a season reset (below) empties the table.
    """
    with db.cursor() as cur:
        cur.execute(
            "INSERT INTO registrations (event_id, attendee_id) VALUES (%s, %s)",
            (event_id(cur, "Poetry Reading"), attendee_id(cur, "ben@example.org")),
        )
    db.commit()

    with db.cursor() as cur:
        cur.execute(
            "SELECT registered, seats_left FROM event_summary WHERE title = 'Poetry Reading'"
        )
        assert cur.fetchone() == (2, 0)


def test_full_event_rejects_booking(db):
    """Chamber Concert has one seat and Ben has it.  Nothing is committed,
    but a season reset on a shared database frees the seat."""
    with db.cursor() as cur:
        concert = event_id(cur, "Chamber Concert")
        ana = attendee_id(cur, "ana@example.org")
        with pytest.raises(psycopg2.errors.CheckViolation, match=r'"Chamber Concert" is full'):
            cur.execute(
                "INSERT INTO registrations (event_id, attendee_id) VALUES (%s, %s)",
                (concert, ana),
            )
    db.rollback()


def test_season_reset(db):
    """The end-of-season job empties the registrations (TRUNCATE) and every
    seat is free again.

    Shared database: wipes the bookings every other test relies on, and
    TRUNCATE waits for every transaction that touched the table.
    """
    with db.cursor() as cur:
        cur.execute("TRUNCATE registrations")
    db.commit()

    with db.cursor() as cur:
        cur.execute("SELECT sum(registered)::int, sum(seats_left)::int FROM event_summary")
        assert cur.fetchone() == (0, 53)


def test_jazz_promo_code(db):
    """Creates the code JAZZ10 (10% off Jazz Night).

    Shared database: test_reports.py::test_promo_code_listing creates the
    same code, the table's primary key.
    """
    with db.cursor() as cur:
        cur.execute(
            "INSERT INTO promo_codes (code, event_id, discount_pct) VALUES ('JAZZ10', %s, 10)",
            (event_id(cur, "Jazz Night"),),
        )
    db.commit()

    with db.cursor() as cur:
        cur.execute("SELECT code, discount_pct FROM promo_codes")
        assert cur.fetchall() == [("JAZZ10", 10)]
