-- Attendees (e-mail unique regardless of case) and their registrations.
-- A trigger refuses registrations beyond an event's capacity.

CREATE TABLE attendees (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text   NOT NULL CHECK (email LIKE '%_@_%'),
    name  text   NOT NULL
);

CREATE UNIQUE INDEX attendees_email_key ON attendees (lower(email));

CREATE TABLE registrations (
    event_id      bigint      NOT NULL REFERENCES events (id),
    attendee_id   bigint      NOT NULL REFERENCES attendees (id),
    registered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, attendee_id)
);

CREATE FUNCTION enforce_capacity() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_capacity integer;
    v_title    text;
    v_taken    integer;
BEGIN
    -- Lock the event so that concurrent bookings are counted one at a time.
    SELECT capacity, title INTO v_capacity, v_title
    FROM events WHERE id = NEW.event_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NEW;  -- the foreign key reports it
    END IF;
    SELECT count(*) INTO v_taken FROM registrations WHERE event_id = NEW.event_id;
    IF v_taken >= v_capacity THEN
        RAISE EXCEPTION 'event "%" is full (% seats)', v_title, v_capacity
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER registrations_enforce_capacity
    BEFORE INSERT ON registrations
    FOR EACH ROW EXECUTE FUNCTION enforce_capacity();

CREATE VIEW event_summary AS
SELECT e.id AS event_id, e.title, v.name AS venue, e.starts_at, e.capacity,
       count(r.attendee_id)::integer AS registered,
       e.capacity - count(r.attendee_id)::integer AS seats_left
FROM events e
JOIN venues v ON v.id = e.venue_id
LEFT JOIN registrations r ON r.event_id = e.id
GROUP BY e.id, v.name;

INSERT INTO attendees (email, name) VALUES
    ('ana@example.org', 'Ana Lima'),
    ('ben@example.org', 'Ben Okafor');

-- Ana goes to Jazz Night and Poetry Reading (1 of 2 seats); Ben took the
-- only seat at Chamber Concert.
INSERT INTO registrations (event_id, attendee_id, registered_at)
SELECT e.id, a.id, timestamptz '2030-01-15 12:00+00'
FROM (VALUES
    ('Jazz Night',      'ana@example.org'),
    ('Poetry Reading',  'ana@example.org'),
    ('Chamber Concert', 'ben@example.org')
) AS r (title, email)
JOIN events e ON e.title = r.title
JOIN attendees a ON a.email = r.email;
