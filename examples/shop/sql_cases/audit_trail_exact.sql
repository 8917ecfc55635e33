-- The audit log starts empty after the migrations. This case makes a known
-- set of changes and expects exactly these entries. Commits, so on a shared
-- database other cases' entries make the exact counts wrong.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_log) THEN
        RAISE EXCEPTION 'audit_log is not empty at the start: % rows', (SELECT count(*) FROM audit_log);
    END IF;
END
$$;

INSERT INTO customers (email, full_name, country, currency) VALUES ('audit.me@example.at', 'Audit Me', 'AT', 'EUR');
UPDATE customers SET full_name = 'Audit Me Twice' WHERE email = 'audit.me@example.at';
INSERT INTO products (sku, name, brand_id, price) VALUES ('KIT-0900', 'Audit spoon', 3, 3.50);
UPDATE products SET active = false WHERE sku = 'KIT-0900';
DELETE FROM products WHERE sku = 'KIT-0900';
DELETE FROM customers WHERE email = 'audit.me@example.at';

DO $$
DECLARE
    got text;
BEGIN
    SELECT string_agg(table_name || ':' || operation || ':' || coalesce(array_to_string(changed_cols, ','), '-'),
                      ' ' ORDER BY id)
    INTO got FROM audit_log;
    IF got IS DISTINCT FROM
       'customers:I:- customers:U:full_name products:I:- products:U:active products:D:- customers:D:-' THEN
        RAISE EXCEPTION 'unexpected audit trail: %', got;
    END IF;
    -- Deleted rows keep their last state in old_row.
    IF (SELECT old_row ->> 'full_name' FROM audit_log WHERE table_name = 'customers' AND operation = 'D')
       <> 'Audit Me Twice' THEN
        RAISE EXCEPTION 'deleted customer not preserved in the audit log';
    END IF;
END
$$;
