#!/usr/bin/env bash
# A page of 50 orders with each order's member, payer and lines (DataLoaders) against the same page with
# the orders' own fields only, on `platform serve --demo`: PostgreSQL when BENCH_DATABASE_URL is set (the
# database is emptied first), else SQLite. 50 members and their orders are created first over GraphQL.
#
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_page bench/page.sh
#   COMPARE_BINARY=/path/to/old/platform COMPARE_DATABASE_URL=postgres://…/bench_page_old bench/page.sh
#                                          # adds an earlier build on its own database, same run
#
# Needs wrk and curl. Everything listens on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

export PLATFORM_AUTH__SECRET="bench-secret-of-at-least-thirty-two-bytes"
db=()
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  psql "$BENCH_DATABASE_URL" -q -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' >/dev/null
  db=(DATABASE_URL="$BENCH_DATABASE_URL")
fi
if [ -n "${db[*]}" ]; then start_platform page 18101 "${db[@]}"; else start_platform page 18101; fi
targets=("page 18101")
service="$("$target/platform" token --role service --sub bench --ttl 2h)"
BENCH_TOKEN="$("$target/platform" token --role admin --sub bench --ttl 2h)"
export BENCH_TOKEN
if [ -n "${COMPARE_BINARY:-}" ]; then
  psql "$COMPARE_DATABASE_URL" -q -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' >/dev/null
  start_binary "$COMPARE_BINARY" compare 18102 DATABASE_URL="$COMPARE_DATABASE_URL"
  targets+=("compare 18102")
fi
post() { curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $service" -d "$2" "http://127.0.0.1:$1/graphql" >/dev/null; }
for t in "${targets[@]}"; do set -- $t; port=$2
for n in $(seq 1 50); do
  post "$port" "{\"query\":\"mutation { upsertMember(input: { account: \\\"reader$n@example.com\\\" }) { account } }\"}"
  post "$port" "{\"query\":\"mutation(\$i: CreateOrderInput!) { createOrder(input: \$i) { orderNo } }\",\"variables\":{\"i\":{\"idempotencyKey\":\"page-$n\",\"source\":\"EC\",\"memberAccount\":\"reader$n@example.com\",\"payer\":{\"name\":\"讀者 $n\",\"email\":\"payer$n@example.com\"},\"receiver\":{\"name\":\"讀者\",\"mobile\":\"0912345678\",\"address\":{\"city\":\"台北市\",\"street\":\"南京東路二段139號\"}},\"lines\":[{\"itemNo\":\"GC18080026\",\"amount\":3480}],\"shippingFee\":0}}}"
done
done
NESTED=0 measure bench/page.lua; mv "$work/results" "$work/flat"
NESTED=1 measure bench/page.lua; mv "$work/results" "$work/nested"
from() { grep "^$2 " "$work/$1" | sed -n "s/.* $3=\([0-9.]*\).*/\1/p"; }
printf '\n| target | page, own fields (req/s) | page with member, payer, lines (req/s) | p99 ms | nested as %% of flat | bad |\n|---|---|---|---|---|---|\n'
for t in "${targets[@]}"; do
  set -- $t
  f=$(from flat "$1" rps | median); n=$(from nested "$1" rps | median); p=$(from nested "$1" p99_ms | median)
  b=$(cat "$work/flat" "$work/nested" | grep "^$1 " | sed -n 's/.* bad=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
  printf '| %s | %s | %s | %s | %s %% | %s |\n' "$1" "$f" "$n" "$p" "$(awk -v a="$n" -v b="$f" 'BEGIN {printf "%.0f", 100*a/b}')" "$b"
done
echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds"
