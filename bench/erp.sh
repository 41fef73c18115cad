#!/usr/bin/env bash
# ERP benchmark (issue #20, R21), on PostgreSQL: `platform export entitlements` of ENTITLEMENTS entitlements
# (time and peak memory) beside its floor, `psql \copy` of the same rows (customer, product, dates, volume,
# seniority) to a file; `platform export mailing-list` for one issue among GRANTS grants beside its floor, the
# same covered set read by psql; `platform import digital-entitlements` of DIGITAL rows beside `psql \copy` of
# the file into a bare table. One fresh database per round; take the medians.
#
#   ROUNDS=3 bench/erp.sh            # 1,000,000 entitlements (500,000 customers x GCV, GJV), 1,000,000
#                                    # grants, 140,000 SUBSCRIPTORDL rows
#
# Needs a release build (cargo build --release -p platform -p bench), psql, /usr/bin/time, bc and
# PostgreSQL on 127.0.0.1:5432 with trust auth (PG_ADMIN_URL to change).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
CUSTOMERS=${CUSTOMERS:-500000}
DIGITAL=${DIGITAL:-140000}
PG=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
BIN=${CARGO_TARGET_DIR:-target}/release
WORK=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$WORK"' EXIT

seconds() { # seconds COMMAND… — wall time of a command, its output discarded
  local start end
  start=$(date +%s.%N)
  "$@" > /dev/null 2> "$WORK/stderr" || { cat "$WORK/stderr" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

measured() { # measured OUT COMMAND… — prints "seconds max_rss_mb", the command's stdout to OUT
  local out=$1 start end; shift
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$WORK/rss" "$@" > "$out" 2> "$WORK/stderr" || { cat "$WORK/stderr" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $(( $(tail -n 1 "$WORK/rss") / 1024 ))"
}

"$BIN/gen-csv" member-profiles "$DIGITAL" > "$WORK/members.csv"
"$BIN/gen-csv" digital-entitlements "$DIGITAL" > "$WORK/digital.csv"

for round in $(seq 1 "$ROUNDS"); do
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS bench_erp WITH (FORCE)" -c "CREATE DATABASE bench_erp"
  url="$PG/bench_erp"
  # The demo catalog (products and the issue calendar), loaded by a server started once.
  (cd "$WORK" && PLATFORM_LOG__FILTER=warn exec "$BIN/platform" --database-url "$url" serve --demo --listen 127.0.0.1:18421) \
    > /dev/null 2>&1 & server=$!
  for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/18421) 2>/dev/null && break; sleep 0.1; done
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  # The holders: CUSTOMERS customers holding GCV and GJV (2 x CUSTOMERS entitlements); each GCV term came
  # from two grants (an IMPORT and a later ORDER continuing it): 2 x CUSTOMERS grants.
  psql "$url" -q <<SQL
INSERT INTO customers (customer_no, customer_id, name, street, postal_code, city, created_at, updated_at)
SELECT 'CW' || lpad(n::text, 7, '0'), (400000 + n)::text, '客戶' || n, '忠孝東路' || (n % 300) || '號', '100',
       '臺北市中正區', now(), now()
FROM generate_series(1, $CUSTOMERS) n;
INSERT INTO entitlements (holder_customer_id, product_code, start_volume, end_volume, end_volume_date,
                          right_due_date, seniority_thousandths, subscribe_status, estimated, created_at, updated_at)
SELECT c.id, p.code, 740 + (c.id % 24)::int - 5, 740 + (c.id % 24)::int, DATE '2027-01-01' + (c.id % 24)::int * 14,
       DATE '2027-01-15' + (c.id % 24)::int * 14, 1000 + c.id % 5000, 1, false, now(), now()
FROM customers c CROSS JOIN (VALUES ('GCV'), ('GJV')) p(code);
INSERT INTO entitlement_grants (entitlement_id, kind, outcome, start_volume, end_volume, seniority_thousandths, granted_at)
SELECT e.id, 'IMPORT', 'GRANTED', NULL, e.end_volume - 12, 0, now() FROM entitlements e WHERE e.product_code = 'GCV';
INSERT INTO entitlement_grants (entitlement_id, kind, outcome, start_volume, end_volume, seniority_thousandths, granted_at)
SELECT e.id, 'ORDER', 'GRANTED', e.end_volume - 11, e.end_volume, 0, now() FROM entitlements e WHERE e.product_code = 'GCV';
ANALYZE;
SQL
  entitlements=$(psql "$url" -tAc "SELECT count(*) FROM entitlements")
  grants=$(psql "$url" -tAc "SELECT count(*) FROM entitlement_grants")
  read -r export_s export_rss < <(measured "$WORK/export.csv" "$BIN/platform" --database-url "$url" export entitlements)
  rows=$(($(wc -l < "$WORK/export.csv") - 1))
  floor_export=$(seconds psql "$url" -qc "\\copy (SELECT c.customer_id, c.customer_no, e.product_code, e.end_volume_date,
    e.end_volume, e.seniority_thousandths FROM customers c JOIN entitlements e ON e.holder_customer_id = c.id
    ORDER BY c.id, e.product_code) TO '$WORK/floor.csv' CSV")
  read -r mailing_s mailing_rss < <(measured "$WORK/mailing.csv" "$BIN/platform" --database-url "$url" export mailing-list --product GCV --volume 745)
  covered=$(($(wc -l < "$WORK/mailing.csv") - 1))
  floor_mailing=$(seconds psql "$url" -qc "\\copy (SELECT c.customer_no, c.name, c.postal_code, c.city, c.street
    FROM entitlements e JOIN customers c ON c.id = e.holder_customer_id WHERE e.product_code = 'GCV' AND e.end_volume >= 745
    AND (e.start_volume <= 745 OR EXISTS (SELECT 1 FROM entitlement_grants g WHERE g.entitlement_id = e.id
    AND g.outcome = 'GRANTED' AND (g.start_volume IS NULL OR g.start_volume <= 745) AND g.end_volume >= 745))
    ORDER BY e.holder_customer_id) TO '$WORK/floor-mailing.csv' CSV")
  "$BIN/platform" --database-url "$url" import member-profiles "$WORK/members.csv" --rejects "$WORK/r.csv" > /dev/null 2>&1
  psql "$url" -qc "CREATE TABLE bare_digital (subno text, rcvemail text, magcode text, begin_date text, end_date text)"
  copy_digital=$(seconds psql "$url" -qc "\\copy bare_digital FROM '$WORK/digital.csv' CSV HEADER")
  read -r digital_s digital_rss < <(measured "$WORK/digital.out" "$BIN/platform" --database-url "$url" import digital-entitlements "$WORK/digital.csv" --rejects "$WORK/r.csv")
  printf 'round %s: export entitlements %s s (%s entitlements, %s rows, rss %s MB; floor \\copy %s s, ratio %.2f); mailing-list %s s (%s of %s grants covered, rss %s MB; floor %s s, ratio %.2f); digital-entitlements %s rows %s s (rss %s MB; \\copy %s s, ratio %.1f)\n' \
    "$round" "$export_s" "$entitlements" "$rows" "$export_rss" "$floor_export" "$(echo "$export_s / $floor_export" | bc -l)" \
    "$mailing_s" "$covered" "$grants" "$mailing_rss" "$floor_mailing" "$(echo "$mailing_s / $floor_mailing" | bc -l)" \
    "$DIGITAL" "$digital_s" "$digital_rss" "$copy_digital" "$(echo "$digital_s / $copy_digital" | bc -l)"
done
