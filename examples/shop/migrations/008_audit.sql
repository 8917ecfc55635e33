-- Audit log for customers, products and orders.

CREATE TABLE audit_log (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name   text        NOT NULL,
    operation    char(1)     NOT NULL CHECK (operation IN ('I', 'U', 'D')),
    row_id       text        NOT NULL,
    changed_cols text[],
    old_row      jsonb,
    new_row      jsonb,
    actor        text        NOT NULL DEFAULT current_user,
    changed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK ((operation = 'I') = (old_row IS NULL)),
    CHECK ((operation = 'D') = (new_row IS NULL))
);
CREATE INDEX audit_log_row_idx ON audit_log (table_name, row_id);

-- Generic AFTER ROW trigger. Updates that only touch updated_at are not
-- logged. TG_TABLE_NAME is unqualified, so the log reads the same whatever
-- schema the tables live in.
CREATE FUNCTION audit_row() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    v_old     jsonb;
    v_new     jsonb;
    v_changed text[];
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        v_old := to_jsonb(OLD);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        v_new := to_jsonb(NEW);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(n.key ORDER BY n.key) INTO v_changed
        FROM jsonb_each(v_new) AS n
        WHERE n.key <> 'updated_at' AND n.value IS DISTINCT FROM v_old -> n.key;
        IF v_changed IS NULL THEN
            RETURN NULL;
        END IF;
    END IF;

    INSERT INTO audit_log (table_name, operation, row_id, changed_cols, old_row, new_row)
    VALUES (TG_TABLE_NAME, left(TG_OP, 1), coalesce(v_new, v_old) ->> 'id', v_changed, v_old, v_new);
    RETURN NULL;
END
$fn$;

CREATE TRIGGER customers_audit
    AFTER INSERT OR UPDATE OR DELETE ON customers
    FOR EACH ROW EXECUTE FUNCTION audit_row();
CREATE TRIGGER products_audit
    AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION audit_row();
CREATE TRIGGER orders_audit
    AFTER INSERT OR UPDATE OR DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION audit_row();

-- Nobody may rewrite history.
CREATE FUNCTION audit_log_immutable() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$fn$;

CREATE TRIGGER audit_log_no_change
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
