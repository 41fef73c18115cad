#!/usr/bin/env bash
# Reconciliation benchmark (issue #21, R23), on PostgreSQL: `platform reconcile --settlement FILE` of a day
# with ROWS captured payments and a settlement file of ROWS rows — all matched but 1 in 400 missing, 1 in 400
# for another amount, and 1 in 400 stray transactions (so ~250 follow-ups of each kind for 100,000) — then the
# same file again (nothing opens twice), beside the floor: `psql \copy` of the file into a bare table and the
# one join that matches it with the payments. One fresh database per round; take the medians.
#
#   ROUNDS=3 bench/reconcile.sh      # 100,000 rows (target: < 10 s)
#
# Needs a release build (cargo build --release -p platform), psql, bc, python3 and PostgreSQL on
# 127.0.0.1:5432 with trust auth (PG_ADMIN_URL to change).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
ROWS=${ROWS:-100000}
PG=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
BIN=${CARGO_TARGET_DIR:-target}/release
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

seconds() { # seconds OUT COMMAND… — wall time of a command, its output to OUT
  local out=$1 start end; shift
  start=$(date +%s.%N)
  "$@" > "$out" 2> "$WORK/stderr" || { cat "$WORK/stderr" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

for round in $(seq 1 "$ROUNDS"); do
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS bench_reconcile WITH (FORCE)" -c "CREATE DATABASE bench_reconcile"
  url="$PG/bench_reconcile"
  PLATFORM_LOG__FILTER=warn "$BIN/platform" --database-url "$url" migrate > /dev/null
  psql "$url" -q <<SQL
INSERT INTO customers (customer_no, name, created_at, updated_at) VALUES ('CW0000001', '王小明', now(), now());
INSERT INTO orders (order_no, idempotency_key, request_hash, source, status, payment_status, payer_customer_id,
                    receiver_name, total_amount, shipping_fee, invoice_type, created_at, updated_at, paid_at)
SELECT 'O26112200' || lpad(n::text, 7, '0'), 'bench-' || n, 'h', 'EC', 'CONFIRMED', 'PAID',
       (SELECT id FROM customers), '王小明', 3480, 0, 2, now(), now(), TIMESTAMPTZ '2026-11-22 12:00:00+08'
FROM generate_series(1, $ROWS) n;
INSERT INTO payments (order_id, transaction_id, status, amount, paid_at, recorded_at, capture_status,
                      captured_amount, captured_at)
SELECT id, 'sim_' || lpad(id::text, 10, '0'), 'PAID', 3480, paid_at, paid_at, 'CAPTURED', 3480,
       paid_at + (id % 600) * INTERVAL '1 minute'
FROM orders;
ANALYZE;
SQL
  psql "$url" -qc "\\copy (SELECT transaction_id, CASE WHEN id % 400 = 0 THEN 3000 ELSE amount END AS amount
    FROM payments WHERE id % 400 <> 1 UNION ALL SELECT 'stray_' || n, 990 FROM generate_series(1, $ROWS / 400) n)
    TO '$WORK/settlement.csv' CSV HEADER"
  rows=$(($(wc -l < "$WORK/settlement.csv") - 1))
  first=$(seconds "$WORK/first.json" "$BIN/platform" --database-url "$url" reconcile --date 2026-11-22 --settlement "$WORK/settlement.csv" --format json)
  again=$(seconds "$WORK/again.json" "$BIN/platform" --database-url "$url" reconcile --date 2026-11-22 --settlement "$WORK/settlement.csv" --format json)
  found=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); a=json.load(open(sys.argv[2])); print(r['matched'], r['stray'], r['missing'], r['mismatched'], r['followUpsOpened'], a['followUpsOpened'])" "$WORK/first.json" "$WORK/again.json")
  read -r matched stray missing mismatched opened reopened <<< "$found"
  follow_ups=$(psql "$url" -tAc "SELECT count(*) FROM follow_ups")
  psql "$url" -qc "CREATE TABLE bare_settlement (transaction_id text, amount bigint)"
  floor=$(seconds /dev/null psql "$url" -qc "\\copy bare_settlement FROM '$WORK/settlement.csv' CSV HEADER" \
    -c "SELECT count(*) FILTER (WHERE p.amount = b.amount), count(*) FILTER (WHERE p.id IS NULL)
        FROM bare_settlement b FULL JOIN (SELECT * FROM payments WHERE captured_at >= TIMESTAMPTZ '2026-11-22 00:00:00+08'
        AND captured_at < TIMESTAMPTZ '2026-11-23 00:00:00+08') p USING (transaction_id)")
  printf 'round %s: reconcile %s rows %s s (matched %s, stray %s, missing %s, mismatched %s, %s follow-ups opened, %s in the table); again %s s (%s opened); floor \\copy + join %s s, ratio %.1f\n' \
    "$round" "$rows" "$first" "$matched" "$stray" "$missing" "$mismatched" "$opened" "$follow_ups" "$again" "$reopened" "$floor" "$(echo "$first / $floor" | bc -l)"
done
