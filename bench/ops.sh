#!/usr/bin/env bash
# Issue #16: `platform report` (opsReport for one day) and ALERT_CHECK on PostgreSQL with 1,000,000 orders,
# 200,000 renewals and 2,000,000 events over 90 days (bench/ops-seed.sql). Each is a fresh `platform`
# process, so the figure includes its start (settings, pool, migration check); the floor measured in the
# same run is `platform environment`, a process that only opens the database and checks its migrations.
# Usage: bench/ops.sh [RUNS]   (release binary in $CARGO_TARGET_DIR or target/release)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-7}"
BIN="${BIN:-${CARGO_TARGET_DIR:-target}/release/platform}"
DB=opsbench
PSQL=(psql -q -h 127.0.0.1 -U postgres)
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export RUST_LOG=error
"$BIN" migrate >/dev/null
start=$(date +%s)
"${PSQL[@]}" -d "$DB" -f bench/ops-seed.sql >/dev/null
echo "seeded in $(( $(date +%s) - start )) s"
DAY=$(date -d yesterday +%F)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
for what in floor report alert; do
  for _ in $(seq "$RUNS"); do
    case $what in
      floor) time_ms "$BIN" environment ;;
      report) time_ms "$BIN" report --date "$DAY" --format json ;;
      alert) time_ms "$BIN" jobs run alert-check ;;
    esac
  done | median | sed "s/^/$what median ms: /"
done
