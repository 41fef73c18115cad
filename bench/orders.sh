#!/usr/bin/env bash
# createOrder throughput: EC orders with a promotion line (R1 split) and a new payer, each with a fresh
# idempotency key, against `platform serve --demo` on SQLite (and PostgreSQL when BENCH_DATABASE_URL is set),
# next to the promotion lookup of the same server as the read baseline, measured in the same run.
#
#   bench/orders.sh
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench bench/orders.sh
#   COMPARE_BINARY=/path/to/an/earlier/platform bench/orders.sh     # adds that build (SQLite), same run
#
# Needs wrk. Everything listens on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

secret="bench-secret-of-at-least-thirty-two-bytes"
export PLATFORM_AUTH__SECRET="$secret"
start_platform sqlite 18092
targets=("platform-sqlite 18092")
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  start_platform pg 18094 DATABASE_URL="$BENCH_DATABASE_URL"
  start_platform pg8 18095 DATABASE_URL="$BENCH_DATABASE_URL" PLATFORM_DATABASE__MAX_CONNECTIONS=8
  targets+=("platform-postgres 18094" "platform-postgres-pool8 18095")
fi
if [ -n "${COMPARE_BINARY:-}" ]; then
  # Another build, e.g. the commit before a change, on SQLite: `COMPARE_BINARY=/path/to/old/platform`.
  start_binary "$COMPARE_BINARY" compare 18096
  targets+=("platform-sqlite-compare 18096")
fi
BENCH_TOKEN="$("$target/platform" token --role service --sub bench --ttl 2h)"
export BENCH_TOKEN

measure bench/order.lua
mv "$work/results" "$work/orders"
measure bench/promotion.lua
mv "$work/results" "$work/lookups"

from() { grep "^$2 " "$work/$1" | sed -n "s/.* $3=\([0-9.]*\).*/\1/p"; }
printf '\n| target | createOrder/s (median) | p99 ms | bad | promotion lookups/s (median) | orders as %% of lookups |\n|---|---|---|---|---|---|\n'
for t in "${targets[@]}"; do
  set -- $t
  o=$(from orders "$1" rps | median); p=$(from orders "$1" p99_ms | median)
  b=$(from orders "$1" bad | awk '{s+=$1} END {print s+0}'); l=$(from lookups "$1" rps | median)
  printf '| %s | %s | %s | %s | %s | %s %% |\n' "$1" "$o" "$p" "$b" "$l" "$(awk -v a="$o" -v b="$l" 'BEGIN {printf "%.1f", 100*a/b}')"
done
echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds"
