-- Money moving between accounts.  Not used by app.c: it is here to show
-- that a session applies every migration of the folder, in version order,
-- once, to the template every sandbox is cloned from.
CREATE TABLE transfers (
    id           bigint        GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_account int           NOT NULL REFERENCES accounts (id),
    to_account   int           NOT NULL REFERENCES accounts (id),
    amount       numeric(12,2) NOT NULL CHECK (amount > 0),
    made_at      timestamptz   NOT NULL DEFAULT now(),
    CHECK (from_account <> to_account)
);

CREATE INDEX transfers_from_idx ON transfers (from_account);
CREATE INDEX transfers_to_idx ON transfers (to_account);
