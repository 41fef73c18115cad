#!/usr/bin/env bash
# Issue #19: each console page's server time on PostgreSQL with the operations benchmark's data (bench/ops-seed.sql:
# 1,000,000 orders, 200,000 renewals and charge attempts, 2,000,000 events, 20,000 follow-ups over 90 days).
# A release `platform serve` answers; curl logs in once and times each page RUNS times (time to the first
# byte, loopback); the floor measured in the same rounds is GET /healthz (one database round trip) and the
# login page (a template, no query).
# Usage: bench/console.sh [RUNS]   (release binary in $CARGO_TARGET_DIR or target/release; SEED=0 reuses the data)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-9}"
BIN="${BIN:-${CARGO_TARGET_DIR:-target}/release/platform}"
DB=opsbench
PORT=18099
PSQL=(psql -q -h 127.0.0.1 -U postgres)
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export RUST_LOG=error
export PLATFORM_AUTH__SECRET="bench-secret-of-at-least-thirty-two-bytes"
# The pages alone: the in-server jobs stay off (the seed's 500,000 webhook deliveries to endpoints that do not
# exist would keep the dispatcher busy on the same two cores). QUIET=0 leaves them on.
if [ "${QUIET:-1}" = 1 ]; then
  for job in CREATE_RENEWALS SEND_NOTICES CHARGE_RENEWALS RETRY_RENEWALS EXPIRE_ENTITLEMENTS DISPATCH_EMAILS; do
    export "PLATFORM_JOBS__${job}__ENABLED=false"
  done
  export PLATFORM_WEBHOOKS__DISPATCH_INTERVAL_MS=0 PLATFORM_ENTITLEMENTS__SWEEP_INTERVAL_SECS=0
  export PLATFORM_OPS__ALERT_CHECK_EVERY_SECS=0 PLATFORM_OPS__DAILY_REPORT_AT="" PLATFORM_OPS__FAILED_CHARGES_AT=""
fi
if [ "${SEED:-1}" = 1 ]; then
  "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
  "$BIN" migrate >/dev/null
  start=$(date +%s)
  "${PSQL[@]}" -d "$DB" -f bench/ops-seed.sql >/dev/null
  echo "seeded in $(( $(date +%s) - start )) s"
fi
"$BIN" serve --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
JAR=$(mktemp)
BASE="http://127.0.0.1:$PORT"
TOKEN=$("$BIN" token --role admin --sub bench)
CSRF=$(curl -s -c "$JAR" "$BASE/ops/login" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "token=$TOKEN" --data-urlencode "csrf=$CSRF" "$BASE/ops/login"
ORDER=$("${PSQL[@]}" -d "$DB" -Atc "SELECT order_no FROM orders ORDER BY id DESC LIMIT 1")
FOLLOW_UP=$("${PSQL[@]}" -d "$DB" -Atc "SELECT id FROM follow_ups WHERE status = 'OPEN' ORDER BY due_at LIMIT 1")
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for page in /healthz /ops/login /ops /ops/trends /ops/forecast /ops/follow-ups "/ops/follow-ups/$FOLLOW_UP" /ops/jobs \
            "/ops/search?q=$ORDER" "/ops/orders/$ORDER"; do
  status=$(curl -s -b "$JAR" -o /dev/null -w '%{http_code}' "$BASE$page")
  for _ in $(seq "$RUNS"); do
    curl -s -b "$JAR" -o /dev/null -w '%{time_starttransfer}\n' "$BASE$page"
  done | awk '{printf "%.1f\n", $1 * 1000}' | median | sed "s|^|$page ($status) median ms: |"
done
