-- The catalogue: authors, books (one row per title, unique ISBN) and the
-- physical copies on the shelves (unique barcode).

CREATE TABLE authors (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text   NOT NULL UNIQUE
);

CREATE TABLE books (
    id             bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    isbn           text    NOT NULL UNIQUE CHECK (isbn ~ '^97[89][0-9]{10}$'),
    title          text    NOT NULL,
    author_id      bigint  NOT NULL REFERENCES authors (id),
    published_year integer CHECK (published_year BETWEEN 1450 AND 2100)
);

CREATE TABLE copies (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    book_id bigint NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    barcode text   NOT NULL UNIQUE,
    shelf   text   NOT NULL
);

CREATE INDEX books_author_idx ON books (author_id);
CREATE INDEX copies_book_idx ON copies (book_id);

INSERT INTO authors (name) VALUES
    ('Ursula K. Le Guin'),
    ('Terry Pratchett'),
    ('Octavia E. Butler');

INSERT INTO books (isbn, title, author_id, published_year)
SELECT v.isbn, v.title, a.id, v.year
FROM (VALUES
    ('9780441478125', 'The Left Hand of Darkness', 'Ursula K. Le Guin', 1969),
    ('9780060512750', 'A Wizard of Earthsea',      'Ursula K. Le Guin', 1968),
    ('9780552166591', 'Guards! Guards!',           'Terry Pratchett',   1989),
    ('9780807083697', 'Kindred',                   'Octavia E. Butler', 1979)
) AS v (isbn, title, author, year)
JOIN authors a ON a.name = v.author;

INSERT INTO copies (book_id, barcode, shelf)
SELECT b.id, v.barcode, v.shelf
FROM (VALUES
    ('9780441478125', 'BC-0001', 'SF-LEG'),
    ('9780441478125', 'BC-0002', 'SF-LEG'),
    ('9780060512750', 'BC-0003', 'FAN-LEG'),
    ('9780552166591', 'BC-0004', 'FAN-PRA'),
    ('9780552166591', 'BC-0005', 'FAN-PRA'),
    ('9780807083697', 'BC-0006', 'SF-BUT')
) AS v (isbn, barcode, shelf)
JOIN books b ON b.isbn = v.isbn;
