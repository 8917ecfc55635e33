-- Venues and the events held there.

CREATE TABLE venues (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text   NOT NULL UNIQUE,
    city text   NOT NULL
);

CREATE TABLE events (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    venue_id  bigint      NOT NULL REFERENCES venues (id),
    title     text        NOT NULL,
    starts_at timestamptz NOT NULL,
    capacity  integer     NOT NULL CHECK (capacity > 0),
    UNIQUE (venue_id, starts_at)
);

INSERT INTO venues (name, city) VALUES
    ('Blue Note Hall', 'Utrecht'),
    ('Old Library',    'Leiden');

-- Fixed dates: the migrated template is built once and reused across runs.
INSERT INTO events (venue_id, title, starts_at, capacity)
SELECT v.id, e.title, e.starts_at, e.capacity
FROM (VALUES
    ('Blue Note Hall', 'Jazz Night',      timestamptz '2030-06-01 20:00+02', 50),
    ('Old Library',    'Poetry Reading',  timestamptz '2030-06-05 19:30+02',  2),
    ('Old Library',    'Chamber Concert', timestamptz '2030-06-12 20:00+02',  1)
) AS e (venue, title, starts_at, capacity)
JOIN venues v ON v.name = e.venue;
