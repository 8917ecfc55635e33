--
-- Delivery lead times of the seed order. Timestamps print in the session
-- time zone and date style, intervals in the session interval style.
--
SELECT id, status, placed_at, paid_at, shipped_at, delivered_at
FROM orders WHERE id = 1;

SELECT paid_at - placed_at      AS time_to_pay,
       shipped_at - paid_at     AS handling_time,
       delivered_at - shipped_at AS transit_time,
       delivered_at - placed_at AS lead_time
FROM orders WHERE id = 1;

SELECT age(delivered_at, placed_at) AS age,
       justify_hours(delivered_at - placed_at) AS justified,
       extract(epoch FROM delivered_at - placed_at) / 3600 AS hours
FROM orders WHERE id = 1;

-- Promised delivery windows per warehouse country.
SELECT w.code,
       CASE w.country WHEN 'DE' THEN interval '2 days' ELSE interval '4 days 12 hours' END AS promise,
       date '2024-04-02' + CASE w.country WHEN 'DE' THEN 2 ELSE 5 END AS promised_by
FROM warehouses w ORDER BY w.id;

-- Coupon validity windows (open-ended ones have no length).
SELECT code, valid_from, valid_until,
       CASE WHEN isfinite(valid_from) AND isfinite(valid_until)
            THEN valid_until - valid_from END AS window
FROM coupons WHERE code IN ('SUMMER5', 'WELCOME10') ORDER BY code;
