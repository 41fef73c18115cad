#!/usr/bin/env bash
# Hostile requests (issue #14) against the release server (SQLite, demo catalog): how long the refusal of
# each takes, beside the seed promotion lookup measured in the same run, and the server's resident memory
# before and after. Each request is sent RUNS times with curl; the median of curl's total time is printed.
#
#   bench/hostile.sh            # RUNS=21
#
# Everything listens on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-21}"
cargo build --release --locked -q -p platform
target="${CARGO_TARGET_DIR:-$(pwd)/target}/release"
work="$(mktemp -d)"
port=18090
(cd "$work" && exec env PLATFORM_LOG__FILTER=warn "$target/platform" serve --demo --listen "127.0.0.1:$port") >/dev/null 2>"$work/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def body(query):
    return json.dumps({"query": query})
def bomb(levels, leaf):
    q = "query { ...F%d }\nfragment F0 on Query { %s }\n" % (levels, leaf)
    for l in range(1, levels + 1):
        q += "fragment F%d on Query { ...F%d ...F%d }\n" % (l, l - 1, l - 1)
    return q
cases = {
    "seed-lookup": '{ promotion(promotionCode: "GC18080026") { totalAmount promotionItems { sellingPrice item { itemNo name } } } }',
    "deep-value-1800": "{ promotion(promotionCode: %s\"x\"%s) { name } }" % ("[" * 1800, "]" * 1800),
    "deep-value-100000": "{ promotion(promotionCode: %s\"x\"%s) { name } }" % ("[" * 100000, "]" * 100000),
    "fragments-24-typename": bomb(24, "__typename"),
    "fragments-29-item": bomb(29, 'item(itemNo: "GCV1Y") { name }'),
    "largest-accepted-1650-aliases": "{ %s }" % " ".join("a%d: __typename" % i for i in range(1650)),
}
for name, query in cases.items():
    open(f"{work}/{name}.json", "w").write(body(query))
PY

rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "machine: $(nproc) cores, $(uname -m); runs per request: $RUNS"
echo "resident memory before: $(rss) KiB"
printf '%-32s %12s %10s %s\n' request median_ms bytes answer
for file in "$work"/*.json; do
  name=$(basename "$file" .json)
  times=$(for _ in $(seq 1 "$RUNS"); do
    curl -s -o "$work/out" -w '%{time_total}\n' -H 'content-type: application/json' --data-binary "@$file" "http://127.0.0.1:$port/graphql"
  done)
  ms=$(echo "$times" | median | awk '{printf "%.3f", $1 * 1000}')
  answer=$(python3 -c "import json,sys; b=json.load(open(sys.argv[1])); e=b.get('errors'); print(e[0]['extensions']['code'] + ': ' + e[0]['message'][:60] if e else 'data')" "$work/out")
  printf '%-32s %12s %10s %s\n' "$name" "$ms" "$(stat -c %s "$file")" "$answer"
done
echo "resident memory after: $(rss) KiB"
kill -0 "$pid" && echo "server still running"
