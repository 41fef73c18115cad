#!/usr/bin/env bash
# Catalog import benchmark (issue #17, R18): `platform import items` of 100,000 items and `platform import
# promotions` of 20,000 promotions (80,000 promotion-item lines) on a fresh PostgreSQL database per round,
# beside the floor measured in the same round: `psql \copy` of the same files into bare tables (what any
# implementation must spend to get the bytes into the server). Target: both imports together < 5 s.
# Prints one line per round; take the median.
#
#   bench/catalog.sh                     # 3 rounds
#   ROUNDS=5 ITEMS=100000 PROMOTIONS=20000 bench/catalog.sh
#
# Needs a release build (cargo build --release -p platform -p bench), psql, and PostgreSQL on
# 127.0.0.1:5432 with trust auth (PG_ADMIN_URL to change).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
ITEMS=${ITEMS:-100000}
PROMOTIONS=${PROMOTIONS:-20000}
PG=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
BIN=${BIN:-target/release}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$BIN/gen-csv" items "$ITEMS" > "$WORK/items.csv"
"$BIN/gen-csv" promotions "$PROMOTIONS" > "$WORK/promotions.csv"
echo "files: $(wc -l < "$WORK/items.csv") item lines, $(wc -l < "$WORK/promotions.csv") promotion lines"

seconds() { # seconds COMMAND… — wall time of a command, its output discarded
  local start end
  start=$(date +%s.%N)
  "$@" > /dev/null 2> "$WORK/stderr" || { cat "$WORK/stderr" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

for round in $(seq 1 "$ROUNDS"); do
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS bench_catalog WITH (FORCE)" -c "CREATE DATABASE bench_catalog"
  url="$PG/bench_catalog"
  "$BIN/platform" --database-url "$url" migrate > /dev/null 2>&1
  psql "$url" -qc "CREATE TABLE bare_items (item_no text, name text, category text, product_code text,
    term_months text, list_price text, item_status text)" \
    -c "CREATE TABLE bare_promotion_lines (promotion_code text, name text, total_amount text, billing_cycle text,
    item_no text, selling_price text, quantity text)"
  copy_items=$(seconds psql "$url" -qc "\\copy bare_items FROM '$WORK/items.csv' CSV HEADER")
  copy_lines=$(seconds psql "$url" -qc "\\copy bare_promotion_lines FROM '$WORK/promotions.csv' CSV HEADER")
  # Floor of the writes: the same rows, already parsed, put by one INSERT … SELECT into a copy of `items`
  # with the same indexes, and one event row each into a copy of `events` (no reads, no checks, one core).
  psql "$url" -qc "CREATE TABLE floor_items (LIKE items INCLUDING ALL)" -c "CREATE TABLE floor_events (LIKE events INCLUDING ALL)"
  floor_items=$(seconds psql "$url" -qc "INSERT INTO floor_items (item_no, name, category, product_code, term_months,
    list_price, item_status, created_at, updated_at) SELECT item_no, name, category, NULLIF(product_code, ''),
    NULLIF(term_months, '')::int, list_price::bigint, upper(item_status), now(), now() FROM bare_items;
    INSERT INTO floor_events (event_id, event_type, subject, payload, occurred_at) SELECT gen_random_uuid(),
    'catalog.item_changed', 'item:' || item_no, '{}', now() FROM bare_items")
  # The product the generated 全閱讀 terms belong to (bench set-up; admins use upsertProduct).
  psql "$url" -qc "INSERT INTO products (product_code, name, kind, digital, created_at, updated_at)
    VALUES ('KCW', '全閱讀', 'PERIOD', TRUE, now(), now())"
  items=$(seconds "$BIN/platform" --database-url "$url" import items "$WORK/items.csv" --rejects "$WORK/rejects-items.csv")
  promotions=$(seconds "$BIN/platform" --database-url "$url" import promotions "$WORK/promotions.csv" --rejects "$WORK/rejects-promotions.csv")
  rerun=$(seconds "$BIN/platform" --database-url "$url" import promotions "$WORK/promotions.csv" --rejects "$WORK/rejects-rerun.csv")
  echo "round $round: items ${items}s, promotions ${promotions}s (re-run ${rerun}s); floor \\copy items ${copy_items}s, lines ${copy_lines}s; floor of the item writes ${floor_items}s"
done
