-- Issue #16 benchmark data (PostgreSQL): 1,000,000 orders, 200,000 renewals, 2,000,000 events over 90 days,
-- with charge attempts, grants, webhook deliveries, e-mails and follow-ups. Rows are appended in time order, as
-- the platform writes them (row g of N at now - 90 days + g/N of 90 days). Run on a migrated, empty database.
SET synchronous_commit = off;
INSERT INTO promotions (promotion_code, name, total_amount, status) VALUES ('BENCH01', 'bench plan', 3480, 'ACTIVE');
INSERT INTO customers (customer_no) SELECT 'C' || lpad(g::text, 8, '0') FROM generate_series(1, 20000) g;
INSERT INTO orders (order_no, idempotency_key, request_hash, source, status, payment_status, payer_customer_id,
                    receiver_name, total_amount, shipping_fee, invoice_type, created_at, updated_at)
SELECT 'O' || lpad(g::text, 12, '0'), 'bench-' || g, 'h', (ARRAY['EC','EC','EC','APP','NINE_ONE_APP','AUTO'])[1 + g % 6],
       'CONFIRMED', (ARRAY['PAID','PAID','PAID','PENDING','FAILED'])[1 + g % 5], 1 + g % 20000, 'bench', 100 + g % 5000, 0, 1,
       (now() - interval '90 days' + (g::float8 / 1000000) * interval '90 days'), now()
FROM generate_series(1, 1000000) g;
INSERT INTO renewals (customer_id, promotion_code, product_codes, deduct_date, deduct_price, payment, renew_status, source,
                      failure_reason, created_at, updated_at)
SELECT 1 + g % 20000, 'BENCH01', 'GCV', current_date - 60 + (g % 90), 3480, 'CREDIT_CARD',
       (ARRAY[1,1,1,2,3,4])[1 + g % 6], 'EC', CASE WHEN g % 6 = 4 THEN 'card_declined' END, now(), now()
FROM generate_series(1, 200000) g;
INSERT INTO renewal_charges (renewal_id, attempt, idempotency_key, order_no, amount, status, reason, created_at, settled_at)
SELECT g, 1, 'renewal-' || g || '-1', 'O' || lpad(g::text, 12, '0'), 3480,
       (ARRAY['APPROVED','APPROVED','APPROVED','APPROVED','DECLINED','ERROR'])[1 + g % 6],
       CASE WHEN g % 6 = 4 THEN 'card_declined' END,
       (now() - interval '90 days' + (g::float8 / 200000) * interval '90 days'), (now() - interval '90 days' + (g::float8 / 200000) * interval '90 days') + interval '1 second'
FROM generate_series(1, 200000) g;
INSERT INTO events (event_id, event_type, subject, payload, occurred_at)
SELECT gen_random_uuid(), (ARRAY['order.paid','entitlement.granted','renewal.charged','entitlement.expired','order.created'])[1 + g % 5],
       'order:' || g, '{}', (now() - interval '90 days' + (g::float8 / 2000000) * interval '90 days')
FROM generate_series(1, 2000000) g;
INSERT INTO entitlement_grants (kind, outcome, granted_at)
SELECT 'ORDER', CASE WHEN g % 50 = 0 THEN 'FAILED' ELSE 'GRANTED' END, (now() - interval '90 days' + (g::float8 / 300000) * interval '90 days')
FROM generate_series(1, 300000) g;
INSERT INTO webhook_endpoints (url, event_types, secret, status, start_event_id, last_event_id, created_at, updated_at)
VALUES ('http://127.0.0.1:9/hook', '["*"]', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'ACTIVE', 0, 2000000, now(), now());
INSERT INTO webhook_deliveries (endpoint_id, event_id, subject, status, attempts, next_attempt_at, delivered_at, created_at, updated_at)
SELECT 1, g, 'order:' || g, CASE WHEN g % 100 = 0 THEN 'DEAD' WHEN g % 1000 = 1 THEN 'FAILED' ELSE 'DELIVERED' END, 1,
       now(), CASE WHEN g % 100 <> 0 AND g % 1000 <> 1 THEN (now() - interval '90 days' + (g::float8 / 500000) * interval '90 days') END,
       (now() - interval '90 days' + (g::float8 / 500000) * interval '90 days'), (now() - interval '90 days' + (g::float8 / 500000) * interval '90 days')
FROM generate_series(1, 500000) g;
INSERT INTO emails (kind, dedupe_key, to_address, regarding, data, status, attempts, next_attempt_at, created_at, sent_at)
SELECT 'renewal_notice', 'bench:' || g, 'b' || g || '@example.com', 'renewal:' || g, '{}',
       CASE WHEN g % 100 = 0 THEN 'FAILED' ELSE 'SENT' END, 1, (now() - interval '90 days' + (g::float8 / 100000) * interval '90 days'),
       (now() - interval '90 days' + (g::float8 / 100000) * interval '90 days'), (now() - interval '90 days' + (g::float8 / 100000) * interval '90 days')
FROM generate_series(1, 100000) g;
INSERT INTO follow_ups (kind, subject, priority, status, summary, detail, open_key, opened_at, due_at, updated_at, closed_at)
SELECT 'RENEWAL_FAILED_FINAL', 'renewal:' || g, 'MEDIUM', CASE WHEN g % 3 = 0 THEN 'RESOLVED' ELSE 'OPEN' END, 'bench', '{}',
       CASE WHEN g % 3 = 0 THEN NULL ELSE 'RENEWAL_FAILED_FINAL|renewal:' || g END,
       now() - (g % 90) * interval '1 day', now() - (g % 90) * interval '1 day' + interval '2 hours', now(),
       CASE WHEN g % 3 = 0 THEN now() - (g % 90) * interval '1 day' + interval '1 hour' END
FROM generate_series(1, 20000) g;
ANALYZE;
