-- Moving stock between warehouses, and what the stock is worth.
CREATE FUNCTION transfer(p_sku text, p_from text, p_to text, p_quantity integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    pid bigint;
BEGIN
    IF p_quantity <= 0 THEN
        RAISE EXCEPTION 'a transfer moves a positive quantity, not %',
            p_quantity USING ERRCODE = 'check_violation';
    END IF;
    IF p_from = p_to THEN
        RAISE EXCEPTION 'a transfer needs two warehouses'
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT id INTO STRICT pid FROM products WHERE sku = p_sku;
    INSERT INTO movements (product_id, warehouse, quantity, reason) VALUES
        (pid, p_from, -p_quantity, 'transfer'),
        (pid, p_to, p_quantity, 'transfer');
END
$$;

CREATE VIEW stock_value AS
SELECT w.code AS warehouse,
       coalesce(sum(s.on_hand::bigint * p.price_cents), 0) AS value_cents
FROM warehouses w
LEFT JOIN stock s ON s.warehouse = w.code
LEFT JOIN products p ON p.id = s.product_id
GROUP BY w.code;
