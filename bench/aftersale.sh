#!/usr/bin/env bash
# After-sale benchmarks (issue #18), release build, everything on 127.0.0.1:
# 1. cancelOrder over GraphQL — the order's lines revoked (REVOKE ledger rows, R5), the payment refunded
#    through the simulated gateway (latency 0) and the refund e-mail queued — on SQLite and PostgreSQL, each
#    beside createOrder on the same server in the same round (the write path's baseline). Every request
#    cancels another paid order (CANCELS of them per round, made by bench/paid_orders.py).
# 2. `platform import subscription-changes` of CHANGES rows on a fresh PostgreSQL database holding as many
#    customers and renewals (a third made monthly: they skip a cycle, the others cancel at the end of the
#    term), its re-run (all applied before), and the floor: the same changes' rows — renewal updates, events,
#    e-mails, change keys — written set-based by four SQL statements in one transaction.
#
#   bench/aftersale.sh                    # ROUNDS=3 DURATION=5s CONNECTIONS=16 CANCELS=4000 CHANGES=50000
#   PART=cancel bench/aftersale.sh        # only the first part (PART=changes: only the second)
#
# Needs wrk, psql, python3 and PostgreSQL on 127.0.0.1:5432 with trust auth (PG_ADMIN_URL to change).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-5s}"
CONNECTIONS="${CONNECTIONS:-16}"
. bench/lib.sh
CANCELS="${CANCELS:-4000}"
CHANGES="${CHANGES:-50000}"
PG="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}"

PART="${PART:-all}"
secret="bench-secret-of-at-least-thirty-two-bytes"
export PLATFORM_AUTH__SECRET="$secret"
if [ "$PART" != changes ]; then
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS bench_cancel WITH (FORCE)" -c "CREATE DATABASE bench_cancel"
start_platform sqlite 18101
start_platform pg 18102 DATABASE_URL="$PG/bench_cancel"
BENCH_TOKEN="$("$target/platform" token --role service --sub bench --ttl 2h)"
export BENCH_TOKEN
for round in $(seq 1 "$ROUNDS"); do
  for t in "sqlite 18101" "postgres 18102"; do
    set -- $t
    url="http://127.0.0.1:$2/graphql"
    python3 bench/paid_orders.py "$url" "$BENCH_TOKEN" "$CANCELS" "$work/orders-$1" "r$round" > /dev/null
    line=$(CANCEL_FILE="$work/orders-$1" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s bench/cancel.lua "$url" | grep '^RESULT')
    echo "cancel-$1 round=$round $line" | tee -a "$work/results"
    line=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s bench/order.lua "$url" | grep '^RESULT')
    echo "create-$1 round=$round $line" | tee -a "$work/results"
  done
done
printf '\n| server | cancelOrder/s (median) | p99 ms | bad | createOrder/s (median) | cancels as %% of creates |\n|---|---|---|---|---|---|\n'
for db in sqlite postgres; do
  c=$(field "cancel-$db" rps | median); p=$(field "cancel-$db" p99_ms | median)
  b=$(field "cancel-$db" bad | awk '{s+=$1} END {print s+0}'); o=$(field "create-$db" rps | median)
  printf '| %s | %s | %s | %s | %s | %s %% |\n' "$db" "$c" "$p" "$b" "$o" "$(awk -v a="$c" -v b="$o" 'BEGIN {printf "%.0f", 100*a/b}')"
done
echo
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
fi
[ "$PART" = cancel ] && exit 0

seconds() { # seconds COMMAND… — wall time, output discarded
  local start end
  start=$(date +%s.%N)
  "$@" > /dev/null 2> "$work/stderr" || { cat "$work/stderr" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
today=$(date -u +%F)
"$target/gen-csv" customers "$CHANGES" > "$work/customers.csv"
"$target/gen-csv" renewals-erp "$CHANGES" "$today" > "$work/renewals.csv"
"$target/gen-csv" subscription-changes "$CHANGES" "$today" > "$work/changes.csv"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS bench_changes WITH (FORCE)" -c "CREATE DATABASE bench_changes"
db="$PG/bench_changes"
# The demo catalog (plans GC18080026 and KC24010001), then the customers and their renewals, once.
(exec "$target/platform" --database-url "$db" serve --demo --listen 127.0.0.1:18103) > /dev/null 2>&1 &
demo=$!
wait_port 18103 "$demo"
kill "$demo"; wait "$demo" 2>/dev/null || true
imp() { "$target/platform" --database-url "$db" import "$1" "$2" --batch "${BATCH:-10000}" --rejects "$work/rejects-$1.csv"; }
seconds imp customers "$work/customers.csv" > /dev/null
renewals=$(seconds imp renewals-erp "$work/renewals.csv")
psql "$db" -qc "UPDATE renewals SET promotion_code = 'KC24010001', product_codes = 'KCW', deduct_price = 199
  WHERE customer_id IN (SELECT id FROM customers WHERE CAST(substr(customer_no, 3) AS integer) % 3 = 0)"
psql "$db" -qc "CREATE TABLE bench_snapshot AS SELECT * FROM renewals"
# Each measurement starts from the renewals as imported, no change applied, no e-mail, no change event.
reset() {
  psql "$db" -qc "TRUNCATE applied_changes" -c "DELETE FROM emails" \
    -c "DELETE FROM events WHERE event_type IN ('renewal.skipped', 'renewal.cancelled')" \
    -c "UPDATE renewals r SET renew_status = s.renew_status, cancel_reason = NULL, cancel_note = NULL, deduct_date = s.deduct_date,
        skipped_cycles = 0, skip_anchor = NULL, notice_sent_on = s.notice_sent_on FROM bench_snapshot s WHERE s.id = r.id" -c "VACUUM ANALYZE"
}
for round in $(seq 1 "$ROUNDS"); do
  reset
  ours=$(seconds imp subscription-changes "$work/changes.csv")
  rerun=$(seconds imp subscription-changes "$work/changes.csv")
  applied=$(psql "$db" -Atc "SELECT COUNT(*) FROM applied_changes")
  rejected=$( [ -f "$work/rejects-subscription-changes.csv" ] && wc -l < "$work/rejects-subscription-changes.csv" || echo 0)
  # Floor: the changes' rows written set-based, on the same starting point.
  reset
  floor=$(seconds psql "$db" -qc "BEGIN;
    UPDATE renewals SET skip_anchor = deduct_date, skipped_cycles = 1, deduct_date = deduct_date + interval '1 month', updated_at = now() WHERE promotion_code = 'KC24010001';
    UPDATE renewals SET renew_status = 0, cancel_reason = 'PRICE', updated_at = now() WHERE promotion_code = 'GC18080026';
    INSERT INTO events (event_id, event_type, subject, payload, occurred_at) SELECT gen_random_uuid(),
      CASE WHEN renew_status = 0 THEN 'renewal.cancelled' ELSE 'renewal.skipped' END, 'renewal:' || id,
      json_build_object('renewalId', id, 'promotionCode', promotion_code, 'deductDate', deduct_date)::text, now() FROM renewals;
    INSERT INTO emails (kind, dedupe_key, to_address, regarding, data, status, attempts, next_attempt_at, created_at)
      SELECT 'subscription_changed', 'floor:' || id, 'customer' || customer_id || '@example.com', 'renewal:' || id,
      json_build_object('renewalId', id, 'deductDate', deduct_date)::text, 'QUEUED', 0, now(), now() FROM renewals;
    INSERT INTO applied_changes (change_key, applied_at) SELECT 'floor:' || id, now() FROM renewals;
    COMMIT;")
  printf 'round %s: subscription-changes %s rows %s s (%.0f rows/s; applied %s, rejects-file lines %s), re-run %s s, floor %s s (ours %.1f x floor)\n' \
    "$round" "$CHANGES" "$ours" "$(echo "$CHANGES / $ours" | bc -l)" "$applied" "$rejected" "$rerun" "$floor" \
    "$(echo "$ours / $floor" | bc -l)"
done
echo "setup: renewals-erp of the same $CHANGES rows (one by one through the renewal rules) $renewals s"
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
