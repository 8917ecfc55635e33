-- Accounts of a small bank.  app.c gives every sandbox an account with the
-- same id: on a shared database the second insert would fail on the
-- primary key, in a sandbox of its own each one succeeds.
CREATE TABLE accounts (
    id         int           PRIMARY KEY,
    owner      text          NOT NULL CHECK (owner <> ''),
    balance    numeric(12,2) NOT NULL DEFAULT 0 CHECK (balance >= 0),
    opened_at  timestamptz   NOT NULL DEFAULT now()
);
