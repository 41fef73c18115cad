#!/usr/bin/env bash
# Import benchmark (R14): `platform import` against `psql \copy` of the same file into a bare table,
# measured in the same round, on a fresh PostgreSQL database per round; then SQLite. Also the floors: the
# same rows, already resolved, inserted by one INSERT … SELECT into the keyed tables. Prints one line per
# measurement; take the median of the rounds.
#
#   bench/import.sh                      # 3 rounds: 800,000 customers, 358,274 member-customers
#   ROUNDS=5 CUSTOMERS=800000 LINKS=358274 BATCH=50000 bench/import.sh
#
# Needs a release build (cargo build --release -p platform -p bench), psql, and PostgreSQL on
# 127.0.0.1:5432 with trust auth (PG_ADMIN_URL to change). Peak memory is the max RSS of `platform import`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
CUSTOMERS=${CUSTOMERS:-800000}
LINKS=${LINKS:-358274}
PG=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
BIN=target/release
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$BIN/gen-csv" customers "$CUSTOMERS" > "$WORK/customers.csv"
"$BIN/gen-csv" member-profiles "$LINKS" > "$WORK/members.csv"
"$BIN/gen-csv" member-customers "$LINKS" > "$WORK/links.csv"
echo "files: $(du -h "$WORK/customers.csv" | cut -f1) customers, $(du -h "$WORK/links.csv" | cut -f1) links"

seconds() { # seconds COMMAND… — wall time of a command, its output discarded
  local start end
  start=$(date +%s.%N)
  "$@" > /dev/null 2> "$WORK/stderr" || { cat "$WORK/stderr" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

import() { # import URL KIND FILE — prints "seconds max_rss_mb"
  local url=$1 kind=$2 file=$3 start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$WORK/rss" "$BIN/platform" --database-url "$url" import "$kind" "$file" \
    --batch "${BATCH:-10000}" --rejects "$WORK/rejects.csv" > /dev/null 2> "$WORK/stderr" || { cat "$WORK/stderr" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $(( $(cat "$WORK/rss") / 1024 ))"
}

for round in $(seq 1 "$ROUNDS"); do
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS bench_import WITH (FORCE)" -c "CREATE DATABASE bench_import"
  url="$PG/bench_import"
  "$BIN/platform" --database-url "$url" migrate > /dev/null 2>&1
  psql "$url" -qc "CREATE TABLE bare_customers (id text, customer_no text, name text, email text, phone text,
    created_at text, updated_at text, parent text, address text, customer_id text)" \
    -c "CREATE TABLE bare_links (serno text, userid text, subno text, knowledgeyn text, createuser text,
    createtime text, updateuser text, updatetime text, sysmemo text)"
  copy_customers=$(seconds psql "$url" -qc "\\copy bare_customers FROM '$WORK/customers.csv' CSV HEADER")
  read -r ours_customers rss_customers < <(import "$url" customers "$WORK/customers.csv")
  read -r ours_members rss_members < <(import "$url" member-profiles "$WORK/members.csv")
  copy_links=$(seconds psql "$url" -qc "\\copy bare_links FROM '$WORK/links.csv' CSV HEADER")
  read -r ours_links rss_links < <(import "$url" member-customers "$WORK/links.csv")
  read -r rerun_links _ < <(import "$url" member-customers "$WORK/links.csv")
  # Floors: the same rows, already parsed and resolved, inserted by one INSERT … SELECT into the real tables
  # with their indexes and foreign keys: the writing alone, on one core, with nothing read, parsed or checked
  # (the import's two connections could at best halve it on two cores).
  psql "$url" -qc "CREATE TABLE resolved_links AS SELECT member_id, customer_id, linked_at FROM member_customers" \
    -c "CREATE TABLE resolved_customers AS SELECT customer_no, customer_id, name, email, phone, street, created_at,
    updated_at FROM customers ORDER BY id" -c "TRUNCATE member_customers"
  floor_links=$(seconds psql "$url" -qc "INSERT INTO member_customers (member_id, customer_id, linked_at)
    SELECT * FROM resolved_links")
  psql "$url" -qc "TRUNCATE customers CASCADE" 2> /dev/null
  floor_customers=$(seconds psql "$url" -qc "INSERT INTO customers (customer_no, customer_id, name, email, phone,
    street, created_at, updated_at) SELECT * FROM resolved_customers")
  printf 'round %s postgres floors: customers %s s (%.2f x \\copy), member-customers %s s (%.2f x \\copy)\n' \
    "$round" "$floor_customers" "$(echo "$floor_customers / $copy_customers" | bc -l)" \
    "$floor_links" "$(echo "$floor_links / $copy_links" | bc -l)"
  printf 'round %s postgres: customers %s s (\\copy %s s, ratio %.2f, rss %s MB); member-profiles %s s (rss %s MB); member-customers %s s (\\copy %s s, ratio %.2f, rss %s MB), re-run %s s\n' \
    "$round" "$ours_customers" "$copy_customers" "$(echo "$ours_customers / $copy_customers" | bc -l)" "$rss_customers" \
    "$ours_members" "$rss_members" "$ours_links" "$copy_links" "$(echo "$ours_links / $copy_links" | bc -l)" "$rss_links" "$rerun_links"

  lite="sqlite://$WORK/bench.db?mode=rwc"
  rm -f "$WORK"/bench.db*
  "$BIN/platform" --database-url "$lite" migrate > /dev/null 2>&1
  read -r lite_customers lite_rss < <(import "$lite" customers "$WORK/customers.csv")
  printf 'round %s sqlite: customers %s s = %.0f rows/s (rss %s MB)\n' \
    "$round" "$lite_customers" "$(echo "$CUSTOMERS / $lite_customers" | bc -l)" "$lite_rss"
done
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS bench_import WITH (FORCE)"
