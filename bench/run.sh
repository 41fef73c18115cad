#!/usr/bin/env bash
# Promotion-lookup load benchmark: the platform (release build, SQLite, demo catalog) against a bare axum
# handler, measured in the same run, alternating, ROUNDS times each; prints the median of each.
#
#   bench/run.sh                 # 3 rounds of 10 s, 32 connections
#   ROUNDS=5 DURATION=20s bench/run.sh
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench bench/run.sh   # adds PostgreSQL rows
#   COMPARE_BINARY=/path/to/an/earlier/platform bench/run.sh                   # adds that build, same run
#   COMPARE_METRICS=1 bench/run.sh                                             # adds metrics off, same run
#
# Needs wrk (apt-get install wrk). Everything listens on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

start_bare 18081
start_platform cached 18082
start_platform uncached 18083 PLATFORM_CATALOG__CACHE_TTL_MS=0
targets=("bare-axum 18081" "platform-sqlite 18082" "platform-sqlite-nocache 18083")
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  start_platform pg 18084 DATABASE_URL="$BENCH_DATABASE_URL"
  start_platform pgnocache 18085 DATABASE_URL="$BENCH_DATABASE_URL" PLATFORM_CATALOG__CACHE_TTL_MS=0
  targets+=("platform-postgres 18084" "platform-postgres-nocache 18085")
fi

if [ -n "${COMPARE_METRICS:-}" ]; then
  # Issue #16: the same build with metrics off (`platform-sqlite` has them on, the default).
  start_platform metricsoff 18087 PLATFORM_METRICS__ENABLED=false
  targets+=("platform-sqlite-metrics-off 18087")
fi

if [ -n "${COMPARE_BINARY:-}" ]; then
  # Another build, e.g. the commit before a change: `COMPARE_BINARY=/path/to/old/platform bench/run.sh`.
  start_binary "$COMPARE_BINARY" compare 18086
  targets+=("platform-sqlite-compare 18086")
fi

measure bench/promotion.lua
summarise bare-axum
