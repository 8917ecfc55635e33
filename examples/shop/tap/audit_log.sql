-- Audit trail contents.
\i helpers/setup.psql

BEGIN;
SELECT plan(8);

SELECT is((SELECT count(*) FROM audit_log), 0::bigint, 'the audit log starts empty');

UPDATE customers SET marketing_ok = false WHERE id = :anna;
UPDATE products SET price = 31.50, name = 'Pour-over coffee maker v2' WHERE sku = 'KIT-0001';
UPDATE products SET updated_at = now() WHERE sku = 'KIT-0002';
SELECT pg_temp.new_customer('tap.audit@example.fr', 'FR') AS new_id \gset

SELECT results_eq(
    $$SELECT table_name, operation::text, changed_cols FROM audit_log ORDER BY id$$,
    $$VALUES ('customers', 'U', ARRAY['marketing_ok']),
             ('products',  'U', ARRAY['name', 'price']),
             ('customers', 'I', NULL::text[])$$,
    'one entry per real change; updated_at-only updates are skipped');

SELECT is((SELECT old_row ->> 'marketing_ok' FROM audit_log WHERE table_name = 'customers' AND operation = 'U'),
          'true', 'old row is kept');
SELECT is((SELECT new_row ->> 'email' FROM audit_log WHERE operation = 'I'),
          'tap.audit@example.fr', 'new row is kept');
SELECT is((SELECT row_id FROM audit_log WHERE operation = 'I'), :'new_id', 'row_id is the primary key');
SELECT ok((SELECT bool_and(actor = current_user) FROM audit_log), 'actor is the current user');

SELECT throws_ok($$UPDATE audit_log SET actor = 'someone else'$$, '42501',
                 'audit_log is append-only', 'audit entries cannot be changed');
SELECT throws_ok($$DELETE FROM audit_log$$, '42501',
                 'audit_log is append-only', 'audit entries cannot be deleted');

SELECT * FROM finish();
ROLLBACK;
