"""Registrations: booking, capacity trigger, duplicate bookings."""

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
    seat to be free.
    """
    with db.cursor() as cur:
        cur.execute(
            "INSERT INTO registrations (event_id, attendee_id) VALUES (%s, %s)",
            (event_id(cur, "Poetry Reading"), attendee_id(cur, "ben@example.org")),
        )
    db.commit()

    with db.cursor() as cur:
        cur.execute("SELECT registered, seats_left FROM event_summary WHERE title = 'Poetry Reading'")
        assert cur.fetchone() == (2, 0)


def test_full_event_rejects_booking(db):
    """Chamber Concert has one seat and Ben has it. Nothing is committed:
    safe on a shared database."""
    with db.cursor() as cur:
        concert = event_id(cur, "Chamber Concert")
        ana = attendee_id(cur, "ana@example.org")
        with pytest.raises(psycopg2.errors.CheckViolation, match=r'"Chamber Concert" is full'):
            cur.execute(
                "INSERT INTO registrations (event_id, attendee_id) VALUES (%s, %s)",
                (concert, ana),
            )
    db.rollback()


def test_duplicate_registration_rejected(db):
    """Ana is already registered for Jazz Night (50 seats, never full).
    Nothing is committed: safe on a shared database."""
    with db.cursor() as cur:
        jazz = event_id(cur, "Jazz Night")
        ana = attendee_id(cur, "ana@example.org")
        with pytest.raises(psycopg2.errors.UniqueViolation) as exc:
            cur.execute(
                "INSERT INTO registrations (event_id, attendee_id) VALUES (%s, %s)",
                (jazz, ana),
            )
    db.rollback()
    assert exc.value.diag.constraint_name == "registrations_pkey"
