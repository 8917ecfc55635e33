-- Loans: a copy lent to a member. A copy can be on loan to at most one
-- member at a time (partial unique index on open loans).

CREATE TABLE loans (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    copy_id     bigint NOT NULL REFERENCES copies (id),
    member_id   bigint NOT NULL REFERENCES members (id),
    loaned_on   date   NOT NULL DEFAULT current_date,
    due_on      date   NOT NULL,
    returned_on date,
    CHECK (due_on > loaned_on),
    CHECK (returned_on IS NULL OR returned_on >= loaned_on)
);

CREATE UNIQUE INDEX loans_one_open_loan_per_copy
    ON loans (copy_id) WHERE returned_on IS NULL;
CREATE INDEX loans_member_idx ON loans (member_id);

-- Copies that can be lent right now.
CREATE VIEW available_copies AS
SELECT c.id AS copy_id, c.barcode, c.shelf, b.isbn, b.title, a.name AS author
FROM copies c
JOIN books b ON b.id = c.book_id
JOIN authors a ON a.id = b.author_id
WHERE NOT EXISTS (
    SELECT 1 FROM loans l WHERE l.copy_id = c.id AND l.returned_on IS NULL
);

-- Lend a copy (by barcode) to a member (by username) for p_days days and
-- return the new loan's id. Refuses members who reached their loan limit;
-- a copy that is already out fails on loans_one_open_loan_per_copy.
CREATE FUNCTION checkout_copy(p_username text, p_barcode text, p_days integer DEFAULT 14)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    m       members;
    v_copy  bigint;
    v_open  integer;
    v_loan  bigint;
BEGIN
    SELECT * INTO m FROM members WHERE username = p_username FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no member with username %', p_username
            USING ERRCODE = 'no_data_found';
    END IF;

    SELECT id INTO v_copy FROM copies WHERE barcode = p_barcode;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no copy with barcode %', p_barcode
            USING ERRCODE = 'no_data_found';
    END IF;

    SELECT count(*) INTO v_open
    FROM loans WHERE member_id = m.id AND returned_on IS NULL;
    IF v_open >= m.max_loans THEN
        RAISE EXCEPTION 'member % has reached the loan limit of %', p_username, m.max_loans
            USING ERRCODE = 'check_violation';
    END IF;

    INSERT INTO loans (copy_id, member_id, due_on)
    VALUES (v_copy, m.id, current_date + p_days)
    RETURNING id INTO v_loan;
    RETURN v_loan;
END
$$;

-- Seed: bob borrowed BC-0002 in January 2024 and never brought it back.
INSERT INTO loans (copy_id, member_id, loaned_on, due_on)
SELECT c.id, m.id, '2024-01-02', '2024-01-16'
FROM copies c, members m
WHERE c.barcode = 'BC-0002' AND m.username = 'bob';
