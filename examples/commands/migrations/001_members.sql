-- Library members. Usernames are unique; each member may borrow up to
-- max_loans copies at a time.

CREATE TABLE members (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username  text        NOT NULL CHECK (username ~ '^[a-z][a-z0-9_]{2,31}$'),
    email     text        NOT NULL CHECK (email LIKE '%_@_%'),
    full_name text        NOT NULL,
    max_loans integer     NOT NULL DEFAULT 3 CHECK (max_loans > 0),
    joined_on date        NOT NULL DEFAULT current_date,
    CONSTRAINT members_username_key UNIQUE (username)
);

-- Seed data. Dates are fixed on purpose: isotest builds the migrated template
-- once and reuses it on later runs, so current_date here would be frozen at
-- whatever day the template was built.
INSERT INTO members (username, email, full_name, max_loans, joined_on) VALUES
    ('alice', 'alice@example.org', 'Alice Liddell', 3, '2023-09-01'),
    ('bob',   'bob@example.org',   'Bob Cratchit',  3, '2023-11-15'),
    ('carol', 'carol@example.org', 'Carol Danvers', 5, '2024-02-29');
