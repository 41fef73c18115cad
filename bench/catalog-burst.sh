#!/usr/bin/env bash
# Promotion lookups during catalog changes (issue #17): wrk's promotion lookups against `serve --demo`
# (release, SQLite, cache on) idle, then while bench/burst.py renames the looked-up promotion RATE times a
# second through `upsertPromotion`, alternating, ROUNDS times; prints the medians and their ratio
# (target ≥ 80 %).
#
#   bench/catalog-burst.sh                  # 3 rounds of 10 s, 32 connections, 100 changes/s
#   ROUNDS=5 RATE=100 DURATION=10s bench/catalog-burst.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RATE="${RATE:-100}"
seconds="${DURATION%s}"

start_platform burst 18091
token=$(cd "$work/burst" && "$target/platform" token --role admin --sub bench --ttl 1h)
url="http://127.0.0.1:18091/graphql"
wrk -t1 -c"$CONNECTIONS" -d2s -s bench/promotion.lua "$url" >/dev/null
for round in $(seq 1 "$ROUNDS"); do
  idle=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s bench/promotion.lua "$url" | grep '^RESULT')
  echo "idle round=$round $idle" | tee -a "$work/results"
  python3 bench/burst.py "$url" "$token" "$RATE" "$((seconds + 1))" > "$work/burst.out" &
  writer=$!
  busy=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s bench/promotion.lua "$url" | grep '^RESULT')
  wait "$writer"
  echo "burst round=$round $busy $(cat "$work/burst.out")" | tee -a "$work/results"
done
median() { grep "^$1 " "$work/results" | sed -E 's/.* rps=([0-9]+).*/\1/' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
idle=$(median idle); busy=$(median burst)
echo "median lookups/s: idle $idle, during $RATE changes/s $busy ($(( 100 * busy / idle )) % of idle)"
