-- Promotion codes: a natural primary key (the code itself), as a shop
-- would have them.  Starts empty.

CREATE TABLE promo_codes (
    code         text    PRIMARY KEY CHECK (code = upper(code)),
    event_id     bigint  NOT NULL REFERENCES events (id),
    discount_pct integer NOT NULL CHECK (discount_pct BETWEEN 1 AND 100)
);
