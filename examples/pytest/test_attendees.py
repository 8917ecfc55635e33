"""Attendees: sign-up, case-insensitive unique e-mail, exact counts.
SQL through the `db` fixture (conftest.py), a connection to isotest_url."""

import psycopg2.errors
import pytest


def test_register_attendee(db):
    """Commits sam@example.org.

    Shared database: test_registrations.py::test_signup_and_book registers
    the same e-mail; whichever runs second fails on attendees_email_key.
    """
    with db.cursor() as cur:
        cur.execute(
            "INSERT INTO attendees (email, name) VALUES (%s, %s) RETURNING id",
            ("sam@example.org", "Sam Vimes"),
        )
        (attendee_id,) = cur.fetchone()
    db.commit()

    with db.cursor() as cur:
        cur.execute("SELECT email, name FROM attendees WHERE id = %s", (attendee_id,))
        assert cur.fetchone() == ("sam@example.org", "Sam Vimes")


def test_email_unique_ignoring_case(db):
    """ANA@Example.org clashes with the seed's ana@example.org.  Nothing is
    committed: safe on a shared database."""
    with db.cursor() as cur:
        with pytest.raises(psycopg2.errors.UniqueViolation) as exc:
            cur.execute(
                "INSERT INTO attendees (email, name) VALUES ('ANA@Example.org', 'Ana Again')"
            )
    db.rollback()
    assert exc.value.diag.constraint_name == "attendees_email_key"


def test_attendee_count_exact(db):
    """Adds two attendees and expects exactly 2 seed + 2 = 4.

    Shared database: every test that commits an attendee changes the count.
    """
    with db.cursor() as cur:
        cur.executemany(
            "INSERT INTO attendees (email, name) VALUES (%s, %s)",
            [("cleo@example.org", "Cleo Park"), ("dev@example.org", "Dev Patel")],
        )
    db.commit()

    with db.cursor() as cur:
        cur.execute("SELECT email FROM attendees ORDER BY email")
        assert [r[0] for r in cur.fetchall()] == [
            "ana@example.org",
            "ben@example.org",
            "cleo@example.org",
            "dev@example.org",
        ]
